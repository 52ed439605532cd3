import type Database from 'better-sqlite3';
import { DeviceAuthSchema } from '@fleetline/protocol';
import type { Statements } from './database.js';
import { ZERO_COUNTERS, parseJson } from './meta.js';
import type { OutboxCounters } from './meta.js';

/**
 * What an outbox file says about itself beyond the samples: read by the
 * outbox when it opens a file, and by doctor's read-only inspection, so
 * both see the same counter and the same numbering record.
 */
export interface StoredState {
  /**
   * Null in a file no outbox has opened yet, or whose id is not a UUID (the
   * handshake names it, and a server refuses one that is not): the outbox
   * then gives it one.
   */
  outboxId: string | null;
  createdAt: number | null;
  counters: OutboxCounters;
  /** The highest number handed out: never below any number a table holds. */
  lastSeq: number;
  /** The device whose server the numbering was last checked against at a hello. */
  numberedFor: number | null;
  /** Samples waiting for the server. */
  pending: number;
}

export function readStoredState(db: Database.Database, sql: Statements): StoredState {
  const meta = (key: string): string | undefined =>
    (sql.getMeta.get(key) as { value: string } | undefined)?.value;
  const createdAt = Number(meta('created_at'));
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
  // An outbox from before the check was recorded has had one at every hello it kept an identity of.
  const identity = parseJson<{ deviceId: number } | null>(meta('identity'), null);
  const numberedFor = Number(meta('numbered_for_device') ?? identity?.deviceId);
  const pending = db
    .prepare('SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM events) AS n')
    .get() as { n: number };
  return {
    outboxId: outboxIdOf(meta('outbox_id')),
    createdAt: Number.isFinite(createdAt) ? createdAt : null,
    counters: { ...ZERO_COUNTERS, ...parseJson<Partial<OutboxCounters>>(meta('counters'), {}) },
    lastSeq: Math.max(Number(meta('last_seq') ?? 0), highest.seq),
    numberedFor: Number.isInteger(numberedFor) ? numberedFor : null,
    pending: pending.n,
  };
}

function outboxIdOf(stored: string | undefined): string | null {
  if (stored === undefined) return null;
  return DeviceAuthSchema.shape.outboxId.safeParse(stored).success ? stored : null;
}
