import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { isCorruption, openDatabase, prepareStatements } from './database.js';
import type { Statements } from './database.js';
import { SAMPLE_CLASS, sampleClass, sampleSeries } from './samples.js';
import type { OutboxSample, SampleClass, SampleDraft } from './samples.js';

/**
 * The outbox: every sample is committed here, with its sequence number,
 * before it may be sent, and deleted only once the server has settled it.
 *
 * Durability (SQLite in WAL mode, one connection, synchronous API):
 * - A transaction is committed when its commit record is in the WAL file.
 *   From then on it survives the process being killed (SIGKILL included) in
 *   any synchronous mode: the bytes are in the kernel's page cache, and the
 *   kernel writes them out whether or not the process is alive.
 * - synchronous=FULL adds an fsync of the WAL at every commit, so a commit
 *   also survives a power cut or a kernel crash (the usual way a vehicle
 *   computer stops). NORMAL syncs only at checkpoints: the last commits may
 *   roll back after a power cut, but the database stays consistent.
 * - The sink commits one transaction per device read (all the readings of
 *   a packed OBD reply together), so FULL costs one fsync per read, not
 *   one per sample. A read not committed yet has no sequence number and has
 *   not been sent; the sink commits it before the event loop turns.
 * - The sequence counter is written in the same transactions as the
 *   samples, so a number is never handed out twice, even after a crash.
 *
 * Events and alarms (driving, dtc, status) live in their own table: the
 * disk policy drops positions and readings only, and keeping them apart
 * means dropping those frees whole pages instead of leaving a page alive
 * for every event scattered among them.
 *
 * The bound (maxBytes) holds for the files, events included. Positions and
 * readings may fill 90 % of what it leaves for pages; the last 10 % is a
 * reserve only events may use, so alarms are still kept once positions and
 * readings are refused. Events stored are never dropped; once they fill the
 * reserve as well, new events are refused (counted, health failing) rather
 * than letting the disk grow past the bound.
 */

export interface OutboxOptions {
  file: string;
  /** Disk the outbox may use: database, WAL and shared-memory file together. */
  maxBytes: number;
  synchronous: 'FULL' | 'NORMAL';
  /** Keep a copy of every committed sample forever (audit; acceptance tests). */
  journal?: boolean;
  /** openWhenPossible: how often to try the file again while the disk refuses it. */
  reopenEveryMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface OutboxRow {
  seq: number;
  sample: OutboxSample;
}

export interface AppendResult {
  first: number | null;
  last: number | null;
  stored: number;
  /** Samples refused because the bound is reached: positions and readings, or events past the reserve. */
  refused: number;
}

export interface SettledRejection {
  seq: number | null;
  field: string;
  reason: string;
}

export interface Refusal {
  type: 'device-token-invalid' | 'device-token-revoked';
  message: string;
  at: number;
  /** SHA-256 prefix of the refused token: a new token clears the refusal, the same one never retries. */
  tokenHash: string;
}

export interface OutboxCounters {
  thinnedPositions: number;
  thinnedReadings: number;
  droppedOldest: number;
  refusedWhileFull: number;
  /** Events refused because events alone filled the whole bound, reserve included. */
  refusedEventsWhileFull: number;
  rejectedByServer: number;
  quarantined: number;
  renumbered: number;
}

export interface OutboxStats {
  /** Samples waiting for the server. */
  pending: number;
  oldestSeq: number | null;
  oldestT: number | null;
  lastAssignedSeq: number;
  /** Database pages in use (what the policy steers by). */
  usedBytes: number;
  /** Database, WAL and shared-memory files as they are on disk. */
  fileBytes: number;
  maxBytes: number;
  /** Only events are left and the bound is reached: positions and readings are refused. */
  full: boolean;
  /** Events fill the reserve too: new events are refused as well. */
  eventsFull: boolean;
  /** Pages in use past which positions and readings are thinned, then refused. */
  thinAboveBytes: number;
  /** Pages in use past which events are refused too (the bound, less room for the WAL). */
  refuseEventsAboveBytes: number;
  counters: OutboxCounters;
  outboxId: string;
  createdAt: number;
  /** The last time a file found corrupt while running was moved aside (this process). */
  replacedWhileRunning: { at: number; movedTo: string; unsent: number } | null;
  /** False while the disk refuses to open the file (openWhenPossible): samples wait in memory. */
  available: boolean;
  /** Why the file could not be opened, while it cannot. */
  openError: string | null;
}

/** The outbox's file is not open: the disk refused it (full, failing) and it is tried again. */
export class OutboxUnavailableError extends Error {
  constructor(reason: string) {
    super(`the outbox is not open (${reason})`);
    this.name = 'OutboxUnavailableError';
  }
}

export interface ThinReport {
  thinnedPositions: number;
  thinnedReadings: number;
  droppedOldest: number;
  usedBytesBefore: number;
  usedBytesAfter: number;
  full: boolean;
}

export interface RenumberResult {
  renumbered: number;
  /** The first new sequence number, or null when nothing was waiting. */
  from: number | null;
  lastAssignedSeq: number;
}

export interface NumberingCheck extends RenumberResult {
  /** Why waiting samples were renumbered (see checkNumbering), or null when they needed not be. */
  reason: 'new-outbox' | 'server-ahead' | 'restored' | null;
}

/** Rows per transaction while thinning or dropping: each transaction's pages pass through the WAL. */
const CHUNK_ROWS = 2000;
/** The policy stops this far under the bound, so it does not run again at the next commit. */
const LOW_WATER = 0.85;
/** The -shm file SQLite keeps beside a WAL database. */
const SHM_BYTES = 32 * 1024;
/** Share of the room for pages that only events may use. */
const EVENT_RESERVE = 0.1;

const ZERO_COUNTERS: OutboxCounters = {
  thinnedPositions: 0,
  thinnedReadings: 0,
  droppedOldest: 0,
  refusedWhileFull: 0,
  refusedEventsWhileFull: 0,
  rejectedByServer: 0,
  quarantined: 0,
  renumbered: 0,
};

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const REOPEN_EVERY_MS = 5000;
/** What a full or failing disk looks like when a file is opened: worth waiting for, not a crash. */
const DISK_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

function isDiskTrouble(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    DISK_ERRNOS.has(code) ||
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY')
  );
}

/** Thinning steps, gentlest first: the class and the bucket that keeps one sample per series. */
const THIN_STEPS: readonly { cls: SampleClass; bucketMs: number }[] = [
  { cls: SAMPLE_CLASS.position, bucketMs: 10_000 },
  { cls: SAMPLE_CLASS.reading, bucketMs: 60_000 },
  { cls: SAMPLE_CLASS.position, bucketMs: 60_000 },
  { cls: SAMPLE_CLASS.reading, bucketMs: 300_000 },
];

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

export class Outbox {
  readonly file: string;
  readonly maxBytes: number;
  readonly #options: OutboxOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #journal: boolean;
  // The file's connection and what comes with it: replaced when a corrupt file is moved aside.
  // Unset while #openError says the file could not be opened; #guard keeps every use out then.
  #db!: Database.Database;
  #sql!: Statements;
  #pageSize!: number;
  /** Pages in use may reach this before the policy runs (the rest: the events' reserve, the WAL, the -shm). */
  #highWaterBytes!: number;
  /** Pages in use past which events are refused too. */
  #eventCapBytes!: number;
  #lastSeq!: number;
  #pending!: number;
  #counters!: OutboxCounters;
  #full = false;
  #eventsFull = false;
  /** Why the disk-bound policy failed last time, until it works again. */
  #policyError: string | null = null;
  #outboxId!: string;
  #createdAt!: number;
  /** The counter as it was at open: what the server may hold of this outbox's numbers, at most. */
  #lastSeqAtOpen!: number;
  /** The device whose server this outbox's numbering was last checked against at a hello. */
  #numberedFor!: number | null;
  #checkedSinceOpen = false;
  /** How many times the file was found corrupt while running and replaced by a new one. */
  #generation = 0;
  #lastReplacement: OutboxStats['replacedWhileRunning'] = null;
  readonly #replacedListeners = new Set<() => void>();
  /** Corruption errors already acted on, so one seen by nested calls moves only one file aside. */
  readonly #handled = new WeakSet<object>();
  /** Why the file could not be opened (openWhenPossible), until it is. */
  #openError: string | null = null;
  #reopenTimer: NodeJS.Timeout | null = null;

  private constructor(options: OutboxOptions) {
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    this.#options = options;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#journal = options.journal ?? false;
    this.#lastSeq = 0;
    this.#pending = 0;
    this.#counters = { ...ZERO_COUNTERS };
  }

  /** Takes a freshly opened database file as this outbox's: its limits, counters and state. */
  #attach(db: Database.Database, walBytes: number): void {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#pageSize = Number(db.pragma('page_size', { simple: true }));
    // The WAL may briefly hold one chunk beyond its limit before a checkpoint trims it.
    this.#eventCapBytes = Math.max(this.#pageSize * 80, this.maxBytes - 2 * walBytes - SHM_BYTES);
    this.#highWaterBytes = Math.max(this.#pageSize * 64, this.#eventCapBytes * (1 - EVENT_RESERVE));
    this.#full = false;
    this.#eventsFull = false;
    this.#policyError = null;
    this.#checkedSinceOpen = false;

    let outboxId = this.#meta('outbox_id');
    let createdAt = Number(this.#meta('created_at'));
    if (!outboxId) {
      outboxId = randomUUID();
      createdAt = this.#now();
      this.#sql.setMeta.run('outbox_id', outboxId);
      this.#sql.setMeta.run('created_at', String(createdAt));
    }
    this.#outboxId = outboxId;
    this.#createdAt = createdAt;
    this.#counters = {
      ...ZERO_COUNTERS,
      ...parseJson<Partial<OutboxCounters>>(this.#meta('counters'), {}),
    };
    // The counter never goes back, whatever table holds the highest number.
    const highest = db
      .prepare(
        `SELECT max(
           coalesce((SELECT max(seq) FROM samples), 0),
           coalesce((SELECT max(seq) FROM events), 0),
           coalesce((SELECT max(seq) FROM quarantine), 0),
           coalesce((SELECT max(seq) FROM journal), 0)) AS seq`,
      )
      .get() as { seq: number };
    this.#lastSeq = Math.max(Number(this.#meta('last_seq') ?? 0), highest.seq);
    this.#lastSeqAtOpen = this.#lastSeq;
    // An outbox from before the check was recorded has had one at every hello it kept an identity of.
    const identity = parseJson<{ deviceId: number } | null>(this.#meta('identity'), null);
    const numberedFor = Number(this.#meta('numbered_for_device') ?? identity?.deviceId);
    this.#numberedFor = Number.isInteger(numberedFor) ? numberedFor : null;
    this.#pending = (
      db
        .prepare('SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM events) AS n')
        .get() as {
        n: number;
      }
    ).n;
    this.#applyPolicy();
  }

  /**
   * Opens (or creates) the outbox. A file SQLite cannot read is moved aside
   * (`outbox.sqlite.corrupt-<time>`) and a new outbox is started: a vehicle
   * must keep recording, and the server's hello tells the new outbox where
   * the old sequence numbers ended.
   */
  static open(options: OutboxOptions): Outbox {
    const outbox = new Outbox(options);
    openInto(options, (db, walBytes) => outbox.#attach(db, walBytes));
    return outbox;
  }

  /**
   * Opens the outbox, or, when the disk refuses the file (full to the last
   * block: SQLite cannot even size the WAL's -shm, SQLITE_IOERR_SHMSIZE; or
   * failing), returns it unopened and tries again every few seconds. Until
   * then append() throws OutboxUnavailableError, so the sink keeps samples
   * in memory as it does when a running outbox's disk fills up, and
   * stats().available is false (health fails). The daemon starts either way:
   * exiting would only have systemd restart it into the same full disk.
   */
  static openWhenPossible(options: OutboxOptions): Outbox {
    try {
      return Outbox.open(options);
    } catch (error) {
      if (!isDiskTrouble(error)) throw error;
      const outbox = new Outbox(options);
      outbox.#becomeUnavailable(error);
      return outbox;
    }
  }

  /** The file cannot be opened: every use throws OutboxUnavailableError until #tryToOpen succeeds. */
  #becomeUnavailable(error: unknown): void {
    const retryEveryMs = this.#options.reopenEveryMs ?? REOPEN_EVERY_MS;
    const code = (error as { code?: unknown } | null)?.code;
    // SQLite says "disk I/O error" for most of these; the code tells which.
    this.#openError = typeof code === 'string' ? `${messageOf(error)}, ${code}` : messageOf(error);
    this.#logger.error(
      { err: messageOf(error), code, file: this.file, retryEveryMs },
      'outbox cannot be opened (disk full or failing?): keeping samples in memory and trying again',
    );
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = setInterval(() => this.#tryToOpen(), retryEveryMs);
    this.#reopenTimer.unref();
  }

  /** Whether the file is open (false only for an openWhenPossible outbox the disk refused so far). */
  get available(): boolean {
    return this.#openError === null;
  }

  #tryToOpen(): void {
    const previous = this.#openError;
    // Open while it is being set up, so the disk bound is applied to it from the start.
    this.#openError = null;
    try {
      openInto(this.#options, (db, walBytes) => this.#attach(db, walBytes));
    } catch (error) {
      const message = messageOf(error);
      if (message !== previous) {
        this.#logger.warn({ err: message }, 'outbox still cannot be opened; trying again');
      }
      this.#openError = message;
      return;
    }
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = null;
    this.#logger.info(
      { file: this.file, pending: this.#pending, lastAssignedSeq: this.#lastSeq },
      'outbox opened at last',
    );
    this.#announceNewFile();
  }

  /**
   * Counts the times a file found corrupt while running was moved aside and
   * a new one started (see #guard): numbers handed out before belong to the
   * old file, so a batch read before must not be settled after.
   */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Called when a new file is behind the outbox: a corrupt one was moved
   * aside and a new one started, or the file could be opened at last
   * (openWhenPossible). Returns the unsubscribe.
   */
  onReplaced(listener: () => void): () => void {
    this.#replacedListeners.add(listener);
    return () => this.#replacedListeners.delete(listener);
  }

  get lastAssignedSeq(): number {
    return this.#lastSeq;
  }

  get pending(): number {
    return this.#pending;
  }

  get full(): boolean {
    return this.#full;
  }

  get eventsFull(): boolean {
    return this.#eventsFull;
  }

  /**
   * Commits drafts in one transaction, numbering them in order. Drafts must
   * already be valid samples (the sink checks them with the protocol's schema).
   */
  append(drafts: readonly SampleDraft[]): AppendResult {
    return this.#guard(() => {
      if (drafts.length === 0) return { first: null, last: null, stored: 0, refused: 0 };
      let refused = 0;
      let refusedEvents = 0;
      let first: number | null = null;
      let seq = this.#lastSeq;
      let stored = 0;
      let counters = this.#counters;
      this.#db.transaction(() => {
        for (const draft of drafts) {
          const cls = sampleClass(draft.kind);
          if (this.#full && cls !== SAMPLE_CLASS.critical) {
            refused += 1;
            continue;
          }
          if (this.#eventsFull && cls === SAMPLE_CLASS.critical) {
            refusedEvents += 1;
            continue;
          }
          seq += 1;
          first ??= seq;
          const body = JSON.stringify(draft);
          if (cls === SAMPLE_CLASS.critical) this.#sql.insertEvent.run(seq, draft.t, body);
          else this.#sql.insertSample.run(seq, draft.t, cls, sampleSeries(draft), body);
          if (this.#journal) this.#sql.insertJournal.run(seq, body);
          stored += 1;
        }
        this.#sql.setMeta.run('last_seq', String(seq));
        if (refused + refusedEvents > 0) {
          counters = {
            ...counters,
            refusedWhileFull: counters.refusedWhileFull + refused,
            refusedEventsWhileFull: counters.refusedEventsWhileFull + refusedEvents,
          };
          this.#sql.setMeta.run('counters', JSON.stringify(counters));
        }
      })();
      this.#counters = counters;
      this.#lastSeq = seq;
      this.#pending += stored;
      // Refused while full, nothing stored: nothing the policy could do has changed since its last run.
      if (stored > 0 || !this.#full) this.#applyPolicy();
      return { first, last: first === null ? null : seq, stored, refused: refused + refusedEvents };
    });
  }

  /** Samples with afterSeq < seq <= throughSeq, oldest first. */
  read(afterSeq: number, throughSeq: number | null, limit: number): OutboxRow[] {
    return this.#guard(() => {
      const through = throughSeq ?? MAX_SEQ;
      const rows = this.#sql.read.all(afterSeq, through, afterSeq, through, limit) as {
        seq: number;
        body: string;
      }[];
      return rows.map((row) => ({
        seq: row.seq,
        sample: { seq: row.seq, ...(JSON.parse(row.body) as SampleDraft) },
      }));
    });
  }

  /**
   * The server settled every sample from first to last (one batch): delete
   * them and keep the rejections for `doctor`. A batch is always a run of
   * consecutive outbox rows, so the range holds exactly its samples.
   */
  settle(first: number, last: number, rejections: readonly SettledRejection[] = []): number {
    return this.#guard(() => {
      let deleted = 0;
      let counters = this.#counters;
      this.#db.transaction(() => {
        deleted = this.#deleteRange(first, last);
        if (rejections.length > 0) {
          const at = this.#now();
          for (const r of rejections) this.#sql.reject.run(r.seq, r.field, r.reason, at);
          this.#sql.trimRejections.run();
          counters = {
            ...counters,
            rejectedByServer: counters.rejectedByServer + rejections.length,
          };
          this.#sql.setMeta.run('counters', JSON.stringify(counters));
        }
      })();
      this.#counters = counters;
      this.#pending -= deleted;
      this.#releaseIfRoom();
      return deleted;
    });
  }

  /** Moves a batch the server could not read at all out of the way (kept for inspection). */
  quarantine(first: number, last: number, reason: string): number {
    return this.#guard(() => {
      let moved = 0;
      let counters = this.#counters;
      this.#db.transaction(() => {
        const at = this.#now();
        this.#sql.quarantineSamples.run(reason, at, first, last);
        this.#sql.quarantineEvents.run(reason, at, first, last);
        moved = this.#deleteRange(first, last);
        counters = { ...counters, quarantined: counters.quarantined + moved };
        this.#sql.setMeta.run('counters', JSON.stringify(counters));
      })();
      this.#counters = counters;
      this.#pending -= moved;
      return moved;
    });
  }

  /**
   * At every hello, before anything is sent: the server's highest stored
   * number against this outbox's numbering. Waiting samples whose numbers
   * the server may hold other samples under are renumbered above its
   * highest, in their order, or it would take them for replays and drop
   * them:
   * - all of them while the outbox has never completed a hello for this
   *   device (a new SD card, a file moved aside as corrupt, another
   *   device's token): it numbered them from 1, not knowing where the
   *   server was, however many there are;
   * - all of them when the server holds numbers this outbox never handed
   *   out;
   * - at the first hello since the outbox was opened, those numbered since,
   *   when the server holds numbers past the counter as it was at open (a
   *   file restored from a backup, or commits a power cut rolled back under
   *   synchronous=NORMAL after they had been sent).
   * Anything else of what waits that the server holds is a true replay (sent
   * and stored, the ack lost) and keeps its number. The check is recorded
   * with the renumbering, in one transaction. Call only with nothing in flight.
   */
  checkNumbering(deviceId: number, highestStoredSeq: number): NumberingCheck {
    return this.#guard(() => {
      let reason: NumberingCheck['reason'] = null;
      let after = 0;
      if (this.#numberedFor !== deviceId) reason = 'new-outbox';
      else if (highestStoredSeq > this.#lastSeq) reason = 'server-ahead';
      else if (!this.#checkedSinceOpen && highestStoredSeq > this.#lastSeqAtOpen) {
        reason = 'restored';
        after = this.#lastSeqAtOpen;
      }
      const result =
        reason === null
          ? { renumbered: 0, from: null, lastAssignedSeq: this.#lastSeq }
          : this.#renumber(highestStoredSeq, after, deviceId);
      this.#numberedFor = deviceId;
      this.#checkedSinceOpen = true;
      return { ...result, reason };
    });
  }

  /**
   * An ack says the server holds numbers this outbox never handed out
   * (another companion with this token?): waiting samples get new numbers
   * above the server's, in their order. Call only with nothing in flight.
   */
  renumberAbove(highestStoredSeq: number): RenumberResult {
    return this.#guard(() => {
      if (highestStoredSeq <= this.#lastSeq) {
        return { renumbered: 0, from: null, lastAssignedSeq: this.#lastSeq };
      }
      return this.#renumber(highestStoredSeq, 0, null);
    });
  }

  /** Waiting samples numbered above `after` move above `highestStoredSeq` if any is not already. */
  #renumber(highestStoredSeq: number, after: number, deviceId: number | null): RenumberResult {
    let result: RenumberResult = {
      renumbered: 0,
      from: null,
      lastAssignedSeq: Math.max(this.#lastSeq, highestStoredSeq),
    };
    let counters = this.#counters;
    this.#db.transaction(() => {
      const span = this.#sql.waitingSpan.get(after, after) as {
        low: number | null;
        n: number | null;
      };
      if (span.low !== null && span.n && span.low <= highestStoredSeq) {
        const delta = highestStoredSeq + 1 - span.low;
        // Through negative numbers: shifted by less than its width, a range
        // would run into itself (the key is checked row by row).
        if (this.#journal) this.#sql.journalOfWaitingToNegative.run(after, after);
        this.#sql.samplesToNegative.run(after);
        this.#sql.eventsToNegative.run(after);
        if (this.#journal) this.#sql.journalFromNegative.run(delta);
        this.#sql.samplesFromNegative.run(delta);
        this.#sql.eventsFromNegative.run(delta);
        counters = { ...counters, renumbered: counters.renumbered + span.n };
        this.#sql.setMeta.run('counters', JSON.stringify(counters));
        result = {
          renumbered: span.n,
          from: highestStoredSeq + 1,
          lastAssignedSeq: Math.max(this.#lastSeq + delta, highestStoredSeq),
        };
      }
      this.#sql.setMeta.run('last_seq', String(result.lastAssignedSeq));
      if (deviceId !== null) this.#sql.setMeta.run('numbered_for_device', String(deviceId));
    })();
    this.#counters = counters;
    this.#lastSeq = result.lastAssignedSeq;
    return result;
  }

  /**
   * The disk-bound policy, gentlest step first, until the pages in use are
   * back under the low-water mark:
   * 1. thin the older half of the waiting positions to one per 10 s;
   * 2. thin the older half of the readings to one per PID per minute;
   * 3. and 4. the same at one position per minute and one reading per 5 min;
   * 5. drop the oldest positions and readings.
   * Every step keeps to the older half: the newest half of what waits
   * (events included, for the last step) is never thinned or dropped.
   * Events and alarms (driving, trouble codes, status) are never touched. If
   * they alone fill the bound, new positions and readings are refused until
   * the server takes some. Work is done in chunks of a few thousand rows, one
   * transaction each, so the WAL stays small.
   */
  enforceDiskBound(): ThinReport {
    return this.#guard(() => {
      const before = this.usedBytes();
      const report: ThinReport = {
        thinnedPositions: 0,
        thinnedReadings: 0,
        droppedOldest: 0,
        usedBytesBefore: before,
        usedBytesAfter: before,
        full: false,
      };
      const target = this.#highWaterBytes * LOW_WATER;
      if (before <= this.#highWaterBytes) {
        this.#setFull(false);
        return report;
      }
      // The newest half is measured once, before anything goes: later steps
      // thin the same older half harder, they do not halve what is left again.
      const seqOf = (row: unknown): number | null =>
        (row as { seq: number } | undefined)?.seq ?? null;
      const newerHalfFrom = new Map<SampleClass, number | null>();
      for (const cls of [SAMPLE_CLASS.position, SAMPLE_CLASS.reading]) {
        newerHalfFrom.set(cls, seqOf(this.#sql.medianSeq.get(cls, cls)));
      }
      const newerHalfOfAllFrom = seqOf(this.#sql.medianAll.get());
      try {
        this.#thinAndDrop(report, target, newerHalfFrom, newerHalfOfAllFrom);
      } finally {
        // What was committed before a chunk failed (a full disk) still counts.
        this.#counters = {
          ...this.#counters,
          thinnedPositions: this.#counters.thinnedPositions + report.thinnedPositions,
          thinnedReadings: this.#counters.thinnedReadings + report.thinnedReadings,
          droppedOldest: this.#counters.droppedOldest + report.droppedOldest,
        };
      }
      this.#sql.setMeta.run('counters', JSON.stringify(this.#counters));
      report.usedBytesAfter = this.usedBytes();
      report.full = report.usedBytesAfter > this.#highWaterBytes;
      const removed = report.thinnedPositions + report.thinnedReadings + report.droppedOldest;
      // Already refusing and nothing more to give up: #setFull said so once for the episode.
      const news = removed > 0 || report.full !== this.#full;
      this.#setFull(report.full);
      if (!news) return report;
      this.#logger.warn(
        {
          thinnedPositions: report.thinnedPositions,
          thinnedReadings: report.thinnedReadings,
          droppedOldest: report.droppedOldest,
          usedBytesBefore: before,
          usedBytesAfter: report.usedBytesAfter,
          maxBytes: this.maxBytes,
          full: report.full,
        },
        'outbox reached its disk bound: old positions and readings thinned',
      );
      return report;
    });
  }

  /** The steps of enforceDiskBound, each chunk its own transaction; the report counts as it goes. */
  #thinAndDrop(
    report: ThinReport,
    target: number,
    newerHalfFrom: ReadonlyMap<SampleClass, number | null>,
    newerHalfOfAllFrom: number | null,
  ): void {
    for (const step of THIN_STEPS) {
      if (this.usedBytes() <= target) break;
      const from = newerHalfFrom.get(step.cls);
      if (from === null || from === undefined) continue;
      const end = from - 1;
      let cursor = 0;
      while (cursor < end && this.usedBytes() > target) {
        const edge = this.#sql.chunkEdge.get(step.cls, cursor, CHUNK_ROWS - 1) as
          { seq: number } | undefined;
        const upTo = Math.min(end, edge?.seq ?? end);
        const thinned = this.#inTransaction(() =>
          this.#sql.thin.run(step.cls, cursor, upTo, step.cls, cursor, upTo, step.bucketMs),
        ).changes;
        if (step.cls === SAMPLE_CLASS.position) report.thinnedPositions += thinned;
        else report.thinnedReadings += thinned;
        this.#pending -= thinned;
        cursor = upTo;
      }
    }
    // Dropping keeps to the older half of everything waiting, events included:
    // when events alone fill the share, the newest positions and readings stay
    // (and new ones are refused) rather than every one of them going.
    while (newerHalfOfAllFrom !== null && this.usedBytes() > target) {
      const dropped = this.#inTransaction(() =>
        this.#sql.dropOldest.run(newerHalfOfAllFrom, CHUNK_ROWS),
      ).changes;
      if (dropped === 0) break;
      report.droppedOldest += dropped;
      this.#pending -= dropped;
    }
  }

  /** Bytes of database pages holding data (the file keeps freed pages for reuse). */
  usedBytes(): number {
    return this.#read(() => {
      const pages = Number(this.#db.pragma('page_count', { simple: true }));
      const free = Number(this.#db.pragma('freelist_count', { simple: true }));
      return (pages - free) * this.#pageSize;
    }, 0);
  }

  getRefusal(): Refusal | null {
    return this.#read(() => {
      return parseJson<Refusal | null>(this.#meta('refusal'), null);
    }, null);
  }

  setRefusal(refusal: Refusal | null): void {
    this.#guard(() => {
      if (refusal) this.#sql.setMeta.run('refusal', JSON.stringify(refusal));
      else this.#sql.deleteMeta.run('refusal');
    });
  }

  /** What the server said about this device at the last hello. */
  getIdentity(): { deviceId: number; vehicleId: number } | null {
    return this.#read(() => {
      return parseJson<{ deviceId: number; vehicleId: number } | null>(
        this.#meta('identity'),
        null,
      );
    }, null);
  }

  setIdentity(identity: { deviceId: number; vehicleId: number }): void {
    this.#guard(() => {
      this.#sql.setMeta.run('identity', JSON.stringify(identity));
    });
  }

  /** Small state other parts keep between runs (the trip in progress, say), as JSON. */
  getState<T>(key: string): T | null {
    return this.#read(() => {
      return parseJson<T | null>(this.#meta(`state:${key}`), null);
    }, null);
  }

  setState(key: string, value: unknown): void {
    this.#guard(() => {
      if (value === null) this.#sql.deleteMeta.run(`state:${key}`);
      else this.#sql.setMeta.run(`state:${key}`, JSON.stringify(value));
    });
  }

  getVin(): string | null {
    return this.#read(() => {
      return this.#meta('vin') ?? null;
    }, null);
  }

  setVin(vin: string): void {
    this.#guard(() => {
      this.#sql.setMeta.run('vin', vin);
    });
  }

  recentRejections(
    limit = 10,
  ): { seq: number | null; field: string; reason: string; at: number }[] {
    return this.#read(() => {
      return this.#sql.recentRejections.all(limit) as {
        seq: number | null;
        field: string;
        reason: string;
        at: number;
      }[];
    }, []);
  }

  quarantined(): number {
    return this.#read(() => {
      return (this.#db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n;
    }, 0);
  }

  /** The oldest waiting sample's number and time. */
  oldest(): { seq: number; t: number } | null {
    return this.#read(() => {
      return (this.#sql.oldest.get() as { seq: number; t: number } | undefined) ?? null;
    }, null);
  }

  stats(): OutboxStats {
    if (this.#openError !== null) {
      return {
        pending: 0,
        oldestSeq: null,
        oldestT: null,
        lastAssignedSeq: 0,
        usedBytes: 0,
        fileBytes: this.fileBytes(),
        maxBytes: this.maxBytes,
        full: false,
        eventsFull: false,
        thinAboveBytes: 0,
        refuseEventsAboveBytes: 0,
        counters: { ...ZERO_COUNTERS },
        outboxId: '',
        createdAt: 0,
        replacedWhileRunning: this.#lastReplacement && { ...this.#lastReplacement },
        available: false,
        openError: this.#openError,
      };
    }
    return this.#guard(() => {
      const oldest = this.oldest();
      return {
        pending: this.#pending,
        oldestSeq: oldest?.seq ?? null,
        oldestT: oldest?.t ?? null,
        lastAssignedSeq: this.#lastSeq,
        usedBytes: this.usedBytes(),
        fileBytes: this.fileBytes(),
        maxBytes: this.maxBytes,
        full: this.#full,
        eventsFull: this.#eventsFull,
        thinAboveBytes: Math.round(this.#highWaterBytes),
        refuseEventsAboveBytes: this.#eventCapBytes,
        counters: { ...this.#counters },
        outboxId: this.#outboxId,
        createdAt: this.#createdAt,
        replacedWhileRunning: this.#lastReplacement && { ...this.#lastReplacement },
        available: true,
        openError: null,
      };
    });
  }

  fileBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        total += fs.statSync(this.file + suffix).size;
      } catch {
        // Not there (no WAL yet): nothing to count.
      }
    }
    return total;
  }

  /** Every sample ever committed, when the journal is on (audits and acceptance tests). */
  journal(): OutboxRow[] {
    return this.#guard(() => {
      const rows = this.#db.prepare('SELECT seq, body FROM journal ORDER BY seq').all() as {
        seq: number;
        body: string;
      }[];
      return rows.map((row) => ({
        seq: row.seq,
        sample: { seq: row.seq, ...(JSON.parse(row.body) as SampleDraft) },
      }));
    });
  }

  close(): void {
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = null;
    if (this.#openError !== null) return;
    if (!this.#db.open) return;
    try {
      // Fold the WAL back into the database so the file is complete on its own.
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      this.#logger.warn({ err: messageOf(error) }, 'outbox checkpoint at close failed');
    }
    this.#db.close();
  }

  #meta(key: string): string | undefined {
    return (this.#sql.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  #deleteRange(first: number, last: number): number {
    return (
      this.#sql.deleteSamples.run(first, last).changes +
      this.#sql.deleteEvents.run(first, last).changes
    );
  }

  /**
   * The disk-bound policy after a commit (or at open). It runs in its own
   * transactions, which a full disk may refuse (SQLITE_FULL) although the
   * commit before went through: that must not look like a failed append, or
   * the caller would commit the same samples again under new numbers. So
   * it never throws; it logs, and the next commit tries again.
   */
  #applyPolicy(): void {
    try {
      if (this.usedBytes() > this.#highWaterBytes) this.enforceDiskBound();
      this.#checkEvents();
    } catch (error) {
      if (isCorruption(error)) {
        // Not thrown on after a commit, even so: the caller must not commit it again.
        try {
          this.#replaceIfCorrupt(error);
        } catch (failure) {
          this.#logger.error({ err: messageOf(failure) }, 'could not start a new outbox');
        }
        return;
      }
      const message = messageOf(error);
      // A full disk fails it at every commit: say so once per reason, not at every read.
      if (message !== this.#policyError) {
        this.#logger.error(
          { err: message, pending: this.#pending, lastAssignedSeq: this.#lastSeq },
          'outbox disk-bound policy failed after a commit',
        );
      }
      this.#policyError = message;
      return;
    }
    if (this.#policyError !== null) this.#logger.info('outbox disk-bound policy works again');
    this.#policyError = null;
  }

  /**
   * Runs one operation on the file. SQLite finds a corrupt page only when it
   * reads it: a file that passed open() can fail any later call, at every
   * restart again. Then the file is moved aside as open() does and a new
   * one started (the hello's numbering check renumbers what the new one
   * records), and the error is thrown on for the caller to back off.
   */
  #guard<T>(work: () => T): T {
    if (this.#openError !== null) throw new OutboxUnavailableError(this.#openError);
    try {
      return work();
    } catch (error) {
      this.#replaceIfCorrupt(error);
      throw error;
    }
  }

  /** Reads that have an answer while the file is not open: nothing stored, nothing known. */
  #read<T>(work: () => T, unopened: T): T {
    return this.#openError === null ? this.#guard(work) : unopened;
  }

  /** Once per error: a corrupt file is moved aside and a new one started (throws if that fails). */
  #replaceIfCorrupt(error: unknown): void {
    if (!isCorruption(error) || typeof error !== 'object' || error === null) return;
    if (this.#handled.has(error)) return;
    this.#handled.add(error);
    this.#replace(error);
  }

  #replace(cause: unknown): void {
    const aside = `${this.file}.corrupt-${timestamp()}`;
    this.#logger.error(
      { err: messageOf(cause), file: this.file, movedTo: aside, pending: this.#pending },
      'outbox found corrupt while running; moved aside (what waited is in it), starting a new one',
    );
    try {
      this.#db.close();
    } catch {
      // Closing a corrupt file may fail too; it is moved aside whatever.
    }
    const unsent = this.#pending;
    moveAside(this.file, aside);
    this.#lastReplacement = { at: this.#now(), movedTo: aside, unsent };
    try {
      openInto(this.#options, (db, walBytes) => this.#attach(db, walBytes));
    } catch (error) {
      // No new file either (a disk failing altogether): wait for one, as at a start on a full disk.
      this.#becomeUnavailable(error);
      throw error;
    }
    this.#announceNewFile();
  }

  /** A new file is behind the outbox: numbers read from the old one mean nothing in it. */
  #announceNewFile(): void {
    this.#generation += 1;
    for (const listener of [...this.#replacedListeners]) {
      try {
        listener();
      } catch (error) {
        this.#logger.error({ err: messageOf(error) }, 'a listener of the outbox failed');
      }
    }
  }

  #inTransaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  #releaseIfRoom(): void {
    if (this.#full && this.usedBytes() <= this.#highWaterBytes * LOW_WATER) this.#setFull(false);
    this.#checkEvents();
  }

  /** Events past the whole bound are refused; accepted again once the server took some. */
  #checkEvents(): void {
    const used = this.usedBytes();
    const eventsFull = this.#eventsFull
      ? used > this.#eventCapBytes * LOW_WATER
      : used > this.#eventCapBytes;
    if (eventsFull === this.#eventsFull) return;
    this.#eventsFull = eventsFull;
    if (eventsFull) {
      this.#logger.error(
        { maxBytes: this.maxBytes, usedBytes: used, pending: this.#pending },
        'outbox bound reached by events alone: refusing new events too until the server takes some',
      );
    } else {
      this.#logger.info({ usedBytes: used }, 'outbox accepts events again');
    }
  }

  #setFull(full: boolean): void {
    if (full === this.#full) return;
    this.#full = full;
    if (full) {
      this.#logger.error(
        { maxBytes: this.maxBytes, pending: this.#pending },
        'outbox full of events alone: refusing positions and readings until the server takes some',
      );
    } else {
      this.#logger.info({ pending: this.#pending }, 'outbox has room again');
    }
  }
}

/**
 * Opens (creating if needed) the file and hands it to `attach`. A file
 * SQLite cannot read, at open or while `attach` reads it, is moved aside
 * and a new one started: a vehicle must keep recording, and the server's
 * hello tells the new outbox where the old numbers ended.
 */
function openInto(
  options: OutboxOptions,
  attach: (db: Database.Database, walBytes: number) => void,
): void {
  fs.mkdirSync(path.dirname(options.file), { recursive: true });
  try {
    attachOrClose(openDatabase(options), attach);
  } catch (error) {
    if (!isCorruption(error)) throw error;
    const aside = moveAside(options.file);
    options.logger.error(
      { err: messageOf(error), file: options.file, movedTo: aside },
      'outbox unreadable; moved aside, starting a new one',
    );
    attachOrClose(openDatabase(options), attach);
  }
}

function attachOrClose(
  opened: { db: Database.Database; walBytes: number },
  attach: (db: Database.Database, walBytes: number) => void,
): void {
  try {
    attach(opened.db, opened.walBytes);
  } catch (error) {
    try {
      opened.db.close();
    } catch {
      // Closed already.
    }
    throw error;
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Moves the database and its WAL and -shm files to `aside` (`<file>.corrupt-<time>`). */
function moveAside(file: string, aside = `${file}.corrupt-${timestamp()}`): string {
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
  }
  return aside;
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
