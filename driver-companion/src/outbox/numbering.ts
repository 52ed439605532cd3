import type Database from 'better-sqlite3';
import type { Statements } from './database.js';
import type { OutboxCounters } from './meta.js';

/**
 * Sequence numbers must stay unique per device forever: the server takes a
 * sample numbered at or below its highest stored number for a replay and
 * drops it. An outbox numbers from 1 without knowing where the server is,
 * so at every hello, before anything is sent, its numbering is checked
 * against the server's highest stored number, and waiting samples the
 * server may hold other samples under are moved above it, in their order.
 *
 * Each outbox file has an identity (a UUID made with the file and kept in
 * it, so a backup restored keeps it too), named in the handshake; the hello
 * says which outbox the token's numbers last came from (`lastOutboxId`).
 * That tells the check whether the numbers the server holds past its
 * counter are its own (a restored backup: keep what waits) or another
 * outbox's (renumber what waits).
 */

export interface RenumberResult {
  renumbered: number;
  /** The first new sequence number, or null when nothing was waiting. */
  from: number | null;
  lastAssignedSeq: number;
}

export interface NumberingCheck extends RenumberResult {
  /** Why waiting samples were renumbered (see renumberingAtHello), or null when they needed not be. */
  reason: 'new-outbox' | 'server-ahead' | 'restored' | 'other-outbox' | null;
}

/**
 * Which outbox the server says the token's numbers last came from, as the
 * check compares it with its own identity: this one, another one, or
 * unknown (none on record, or a server older than the field).
 */
export type LastOutbox = 'this' | 'another' | 'unknown';

/** What the check at a hello would do now, and what it goes by (for doctor). */
export interface NumberingPreview extends NumberingCheck {
  lastOutbox: LastOutbox;
  /** The device this outbox's numbering was last checked for at a hello, or null if never. */
  numberedFor: number | null;
  /** The counter as it was at open: a restarted daemon's starts here. */
  lastSeqAtOpen: number;
}

/** Where an outbox's numbering stands, as the hello's check sees it. */
export interface NumberingState {
  /** The outbox's identity (null for a file no outbox has opened yet: it gets a new one). */
  outboxId: string | null;
  /** The counter: the highest number handed out. */
  lastAssignedSeq: number;
  /** The counter as it was at open: what the server may hold of this outbox's numbers, at most. */
  lastSeqAtOpen: number;
  /** The device whose server this outbox's numbering was last checked against at a hello. */
  numberedFor: number | null;
  /** Whether a hello has checked it since the file was opened. */
  checkedSinceOpen: boolean;
}

/** What the hello's `lastOutboxId` says of this outbox (see LastOutbox). */
export function lastOutbox(
  outboxId: string | null,
  lastOutboxId: string | null | undefined,
): LastOutbox {
  if (lastOutboxId === null || lastOutboxId === undefined) return 'unknown';
  return lastOutboxId === outboxId ? 'this' : 'another';
}

/**
 * The rule of the hello's check. Waiting samples are renumbered above the
 * server's highest stored number:
 * - all of them while the outbox has never completed a hello for this
 *   device (a new SD card, a file moved aside as corrupt, another
 *   device's token): it numbered them from 1, not knowing where the
 *   server was, however many there are;
 * - all of them when the server holds numbers past the counter, which
 *   this outbox never handed out, unless they came from it (next);
 * - at the first hello since the outbox was opened, those numbered since,
 *   when the server holds numbers past the counter as it was at open (a
 *   file restored from a backup, or commits a power cut rolled back under
 *   synchronous=NORMAL after they had been sent); with this outbox on
 *   record, even past the counter itself (a backup restored after the
 *   outbox numbered and sent more): what it numbered before open it
 *   numbered once, the server holds it (a replay) or not (stored now), and
 *   renumbering it would store it twice;
 * - all of them numbered at or below the server's highest when another
 *   outbox is on record ('other-outbox'), the server past the counter or
 *   not: the other may have used numbers this one holds samples under.
 * Anything else of what waits that the server holds is a true replay (sent
 * and stored, the ack lost) and keeps its number. Without an identity on
 * record (lastOutboxId null or absent: an older server, or the last
 * connection an older companion's) the rule goes by the numbers alone.
 * Returns why, and that the samples numbered above `after` move; null when
 * nothing needs to.
 */
export function renumberingAtHello(
  state: NumberingState,
  deviceId: number,
  highestStoredSeq: number,
  lastOutboxId?: string | null,
): { reason: NonNullable<NumberingCheck['reason']>; after: number } | null {
  if (state.numberedFor !== deviceId) return { reason: 'new-outbox', after: 0 };
  const last = lastOutbox(state.outboxId, lastOutboxId);
  const restoredSinceOpen = !state.checkedSinceOpen && highestStoredSeq > state.lastSeqAtOpen;
  // Past the counter after a check since open, the numbers cannot be this
  // outbox's: every check raises the counter to the server's highest, and
  // it sends nothing numbered above its counter.
  if (last === 'this' && restoredSinceOpen) {
    return { reason: 'restored', after: state.lastSeqAtOpen };
  }
  if (highestStoredSeq > state.lastAssignedSeq) return { reason: 'server-ahead', after: 0 };
  if (last === 'another') return { reason: 'other-outbox', after: 0 };
  if (restoredSinceOpen) return { reason: 'restored', after: state.lastSeqAtOpen };
  return null;
}

/**
 * What the hello's check would do, without doing it: the same rule and the
 * same numbers as checkNumbering and renumberWaiting, nothing written.
 */
export function previewNumbering(
  sql: Statements,
  state: NumberingState,
  deviceId: number,
  highestStoredSeq: number,
  lastOutboxId?: string | null,
): NumberingPreview {
  const needed = renumberingAtHello(state, deviceId, highestStoredSeq, lastOutboxId);
  const base = {
    numberedFor: state.numberedFor,
    lastSeqAtOpen: state.lastSeqAtOpen,
    lastOutbox: lastOutbox(state.outboxId, lastOutboxId),
  };
  if (needed === null) {
    return {
      ...base,
      reason: null,
      renumbered: 0,
      from: null,
      lastAssignedSeq: state.lastAssignedSeq,
    };
  }
  const moving = waitingToMove(sql, needed.after, highestStoredSeq);
  return {
    ...base,
    reason: needed.reason,
    renumbered: moving?.n ?? 0,
    from: moving ? highestStoredSeq + 1 : null,
    lastAssignedSeq: moving
      ? Math.max(state.lastAssignedSeq + moving.delta, highestStoredSeq)
      : Math.max(state.lastAssignedSeq, highestStoredSeq),
  };
}

/**
 * Waiting samples numbered above `after` move above `highestStoredSeq` if
 * any is not already, in one transaction with the counter, the counters
 * and, given a device, the record that the numbering was checked for it
 * (`numbered_for_device`). Returns what was done and the counters to keep.
 */
export function renumberWaiting(
  file: { db: Database.Database; sql: Statements; journal: boolean },
  move: { highestStoredSeq: number; after: number; deviceId: number | null },
  current: { lastAssignedSeq: number; counters: OutboxCounters },
): { result: RenumberResult; counters: OutboxCounters } {
  const { db, sql, journal } = file;
  const { highestStoredSeq, after, deviceId } = move;
  let result: RenumberResult = {
    renumbered: 0,
    from: null,
    lastAssignedSeq: Math.max(current.lastAssignedSeq, highestStoredSeq),
  };
  let counters = current.counters;
  db.transaction(() => {
    const moving = waitingToMove(sql, after, highestStoredSeq);
    if (moving) {
      const { n, delta } = moving;
      // Through negative numbers: shifted by less than its width, a range
      // would run into itself (the key is checked row by row).
      if (journal) sql.journalOfWaitingToNegative.run(after, after);
      sql.samplesToNegative.run(after);
      sql.eventsToNegative.run(after);
      if (journal) sql.journalFromNegative.run(delta);
      sql.samplesFromNegative.run(delta);
      sql.eventsFromNegative.run(delta);
      counters = { ...counters, renumbered: counters.renumbered + n };
      sql.setMeta.run('counters', JSON.stringify(counters));
      result = {
        renumbered: n,
        from: highestStoredSeq + 1,
        lastAssignedSeq: Math.max(current.lastAssignedSeq + delta, highestStoredSeq),
      };
    }
    sql.setMeta.run('last_seq', String(result.lastAssignedSeq));
    if (deviceId !== null) sql.setMeta.run('numbered_for_device', String(deviceId));
  })();
  return { result, counters };
}

/**
 * The waiting samples numbered above `after`, if the lowest of them is at or
 * below `highestStoredSeq`: how many, and the shift that puts the lowest
 * just above it. Null when none is (nothing needs to move).
 */
function waitingToMove(
  sql: Statements,
  after: number,
  highestStoredSeq: number,
): { n: number; delta: number } | null {
  const span = sql.waitingSpan.get(after, after) as { low: number | null; n: number | null };
  if (span.low === null || !span.n || span.low > highestStoredSeq) return null;
  return { n: span.n, delta: highestStoredSeq + 1 - span.low };
}
