import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { messageOf } from '../util/logger.js';
import {
  NewerSchemaError,
  isCorruption,
  openDatabaseReadOnly,
  prepareStatements,
} from './database.js';
import type { Statements } from './database.js';
import { boundLimits, usedBytes } from './disk-bound.js';
import { parseJson } from './meta.js';
import type { OutboxCounters, Refusal } from './meta.js';
import { previewNumbering } from './numbering.js';
import type { NumberingPreview } from './numbering.js';
import { bytesOnDisk } from './outbox-file.js';
import { readStoredState } from './stored-state.js';

/**
 * An outbox file as `doctor` sees it: read, never written. Opening it the
 * outbox's way would change what is inspected: the disk-bound policy thins
 * a file over its bound, a corrupt file is moved aside and a new one
 * started, and a missing one is created. Here the file is opened read-only
 * and each of those is reported as what the daemon will do at its start.
 */

/** What an inspection found at the outbox's path. */
export type OutboxFinding =
  | { kind: 'missing' }
  /** A file without the outbox's tables (the daemon sets them up at its start). */
  | { kind: 'unset'; missingTables: string[] }
  /** SQLite cannot read it: the daemon moves it aside at its start and begins a new outbox. */
  | { kind: 'corrupt'; message: string }
  /** Written by a newer companion: this one refuses to open it. */
  | { kind: 'newer'; message: string }
  /** It cannot be opened at all (permissions, a failing disk). */
  | { kind: 'unopenable'; message: string; code: string | null }
  | { kind: 'outbox'; inspection: OutboxInspection };

export interface OutboxSnapshot {
  /** Samples waiting for the server. */
  pending: number;
  oldestSeq: number | null;
  oldestT: number | null;
  lastAssignedSeq: number;
  /** Database pages in use (what the disk-bound policy steers by). */
  usedBytes: number;
  /** Database, WAL and shared-memory files as they were on disk before the inspection. */
  fileBytes: number;
  maxBytes: number;
  /** Pages in use past which the daemon thins positions and readings (at its start, too). */
  thinAboveBytes: number;
  counters: OutboxCounters;
  outboxId: string | null;
  /** The device the numbering was last checked for at a hello, or null if never. */
  numberedFor: number | null;
  refusal: Refusal | null;
  /** The latest samples the server rejected for good, newest first. */
  recentRejections: { seq: number | null; field: string; reason: string; at: number }[];
  quarantined: number;
}

const TABLES = ['meta', 'samples', 'events', 'quarantine', 'rejections', 'journal'];

/**
 * Looks at the outbox file without changing it. `maxBytes` is the bound
 * the daemon would open it with (storage.maxDiskMb).
 */
export function inspectOutbox(file: string, maxBytes: number, rejections = 3): OutboxFinding {
  try {
    fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A directory the user may not enter (StateDirectoryMode=0700) is not an outbox that is missing.
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return unreadable(error);
  }
  // Before the connection: a reader may add an empty -wal and the -shm beside the file.
  const fileBytes = bytesOnDisk(file);
  let opened: { db: Database.Database; walBytes: number };
  try {
    opened = openDatabaseReadOnly({ file, maxBytes });
  } catch (error) {
    return unreadable(error);
  }
  const { db, walBytes } = opened;
  try {
    const present = new Set(
      (
        db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as {
          name: string;
        }[]
      ).map((row) => row.name),
    );
    const missingTables = TABLES.filter((table) => !present.has(table));
    if (missingTables.length > 0) {
      db.close();
      return { kind: 'unset', missingTables };
    }
    const sql = prepareStatements(db);
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const { highWaterBytes } = boundLimits(maxBytes, pageSize, walBytes);
    // One read transaction: a consistent picture even with a writer at work.
    const snapshot = db.transaction((): OutboxSnapshot => {
      const stored = readStoredState(db, sql);
      const oldest = sql.oldest.get() as { seq: number; t: number } | undefined;
      const refusal = sql.getMeta.get('refusal') as { value: string } | undefined;
      return {
        pending: stored.pending,
        oldestSeq: oldest?.seq ?? null,
        oldestT: oldest?.t ?? null,
        lastAssignedSeq: stored.lastSeq,
        usedBytes: usedBytes(db, pageSize),
        fileBytes,
        maxBytes,
        thinAboveBytes: Math.round(highWaterBytes),
        counters: stored.counters,
        outboxId: stored.outboxId,
        numberedFor: stored.numberedFor,
        refusal: parseJson<Refusal | null>(refusal?.value, null),
        recentRejections: sql.recentRejections.all(
          rejections,
        ) as OutboxSnapshot['recentRejections'],
        quarantined: (db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n,
      };
    })();
    return { kind: 'outbox', inspection: new OutboxInspection(file, db, sql, snapshot) };
  } catch (error) {
    db.close();
    return unreadable(error);
  }
}

/** What an error opening or reading the file says about it. */
export function unreadable(
  error: unknown,
): Extract<OutboxFinding, { kind: 'corrupt' | 'newer' | 'unopenable' }> {
  const message = messageOf(error);
  if (isCorruption(error)) return { kind: 'corrupt', message };
  if (error instanceof NewerSchemaError) return { kind: 'newer', message };
  const code = (error as { code?: unknown } | null)?.code;
  return { kind: 'unopenable', message, code: typeof code === 'string' ? code : null };
}

/** An outbox open read-only: what it held when inspected, and what the daemon's next hello does to it. */
export class OutboxInspection {
  readonly file: string;
  readonly snapshot: OutboxSnapshot;
  readonly #db: Database.Database;
  readonly #sql: Statements;

  constructor(file: string, db: Database.Database, sql: Statements, snapshot: OutboxSnapshot) {
    this.file = file;
    this.#db = db;
    this.#sql = sql;
    this.snapshot = snapshot;
  }

  /**
   * What the daemon's next hello does to the waiting samples' numbers, by
   * the rule it applies (Outbox.checkNumbering): as the daemon opens the
   * file at its start, with nothing recorded since and no hello yet. A file
   * without an identity gets a new one then, which no server has on record.
   */
  previewNumbering(
    deviceId: number,
    highestStoredSeq: number,
    lastOutboxId?: string | null,
  ): NumberingPreview {
    const { lastAssignedSeq, numberedFor, outboxId } = this.snapshot;
    return previewNumbering(
      this.#sql,
      {
        outboxId,
        lastAssignedSeq,
        lastSeqAtOpen: lastAssignedSeq,
        numberedFor,
        checkedSinceOpen: false,
      },
      deviceId,
      highestStoredSeq,
      lastOutboxId,
    );
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
