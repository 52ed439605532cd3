import type Database from 'better-sqlite3';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { isCorruption } from './database.js';
import type { Statements } from './database.js';
import { SAMPLE_CLASS } from './samples.js';
import type { SampleClass } from './samples.js';

/**
 * The outbox's disk-bound policy. The bound (maxBytes) holds for the files,
 * events included. Positions and readings may fill 90 % of what it leaves
 * for pages; the last 10 % is a reserve only events may use, so alarms are
 * still kept once positions and readings are refused. Events stored are
 * never dropped; once they fill the reserve as well, new events are refused
 * (counted, health failing) rather than letting the disk grow past the
 * bound.
 *
 * One DiskBound per open file: its limits follow from the file's page size
 * and WAL size, and a new file starts with nothing refused.
 */

export interface ThinReport {
  thinnedPositions: number;
  thinnedReadings: number;
  droppedOldest: number;
  usedBytesBefore: number;
  usedBytesAfter: number;
  full: boolean;
}

/** What the policy needs of the outbox that holds it. */
export interface DiskBoundHost {
  /** Samples waiting (for the logs). */
  pending(): number;
  /** The last number handed out (for the logs). */
  lastAssignedSeq(): number;
  /**
   * What the steps removed, as far as their transactions committed (also
   * when a later one failed): the outbox's waiting count and its counters
   * follow, in memory.
   */
  removed(report: ThinReport): void;
  /** Stores the counters, once the steps have run. */
  saveCounters(): void;
}

/** Rows per transaction while thinning or dropping: each transaction's pages pass through the WAL. */
const CHUNK_ROWS = 2000;
/** The policy stops this far under the bound, so it does not run again at the next commit. */
const LOW_WATER = 0.85;
/** The -shm file SQLite keeps beside a WAL database. */
const SHM_BYTES = 32 * 1024;
/** Share of the room for pages that only events may use. */
const EVENT_RESERVE = 0.1;

/** Thinning steps, gentlest first: the class and the bucket that keeps one sample per series. */
const THIN_STEPS: readonly { cls: SampleClass; bucketMs: number }[] = [
  { cls: SAMPLE_CLASS.position, bucketMs: 10_000 },
  { cls: SAMPLE_CLASS.reading, bucketMs: 60_000 },
  { cls: SAMPLE_CLASS.position, bucketMs: 60_000 },
  { cls: SAMPLE_CLASS.reading, bucketMs: 300_000 },
];

/**
 * The policy's limits for a file, from its page size and its WAL's limit:
 * pages in use may reach highWaterBytes before positions and readings are
 * thinned, and eventCapBytes before events are refused too.
 */
export function boundLimits(
  maxBytes: number,
  pageSize: number,
  walBytes: number,
): { highWaterBytes: number; eventCapBytes: number } {
  // The WAL may briefly hold one chunk beyond its limit before a checkpoint trims it.
  const eventCapBytes = Math.max(pageSize * 80, maxBytes - 2 * walBytes - SHM_BYTES);
  return {
    eventCapBytes,
    highWaterBytes: Math.max(pageSize * 64, eventCapBytes * (1 - EVENT_RESERVE)),
  };
}

/** Bytes of database pages holding data (the file keeps freed pages for reuse). */
export function usedBytes(db: Database.Database, pageSize: number): number {
  const pages = Number(db.pragma('page_count', { simple: true }));
  const free = Number(db.pragma('freelist_count', { simple: true }));
  return (pages - free) * pageSize;
}

export class DiskBound {
  readonly maxBytes: number;
  /** Pages in use may reach this before the policy runs (the rest: the events' reserve, the WAL, the -shm). */
  readonly highWaterBytes: number;
  /** Pages in use past which events are refused too. */
  readonly eventCapBytes: number;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #pageSize: number;
  readonly #logger: Logger;
  readonly #host: DiskBoundHost;
  #full = false;
  #eventsFull = false;
  /** Why the policy failed after a commit last time, until it works again. */
  #failure: string | null = null;

  constructor(options: {
    db: Database.Database;
    sql: Statements;
    maxBytes: number;
    /** The WAL's size limit (see openDatabase). */
    walBytes: number;
    logger: Logger;
    host: DiskBoundHost;
  }) {
    this.#db = options.db;
    this.#sql = options.sql;
    this.#logger = options.logger;
    this.#host = options.host;
    this.maxBytes = options.maxBytes;
    this.#pageSize = Number(options.db.pragma('page_size', { simple: true }));
    const limits = boundLimits(this.maxBytes, this.#pageSize, options.walBytes);
    this.eventCapBytes = limits.eventCapBytes;
    this.highWaterBytes = limits.highWaterBytes;
  }

  /** Only events are left and the bound is reached: positions and readings are refused. */
  get full(): boolean {
    return this.#full;
  }

  /** Events fill the reserve too: new events are refused as well. */
  get eventsFull(): boolean {
    return this.#eventsFull;
  }

  /** Bytes of database pages holding data (the file keeps freed pages for reuse). */
  usedBytes(): number {
    return usedBytes(this.#db, this.#pageSize);
  }

  /**
   * The policy, gentlest step first, until the pages in use are back under
   * the low-water mark:
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
  enforce(): ThinReport {
    const before = this.usedBytes();
    const report: ThinReport = {
      thinnedPositions: 0,
      thinnedReadings: 0,
      droppedOldest: 0,
      usedBytesBefore: before,
      usedBytesAfter: before,
      full: false,
    };
    const target = this.highWaterBytes * LOW_WATER;
    if (before <= this.highWaterBytes) {
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
      this.#host.removed(report);
    }
    this.#host.saveCounters();
    report.usedBytesAfter = this.usedBytes();
    report.full = report.usedBytesAfter > this.highWaterBytes;
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
  }

  /**
   * The policy after a commit (or at open). It runs in its own
   * transactions, which a full disk may refuse (SQLITE_FULL) although the
   * commit before went through: that must not look like a failed append, or
   * the caller would commit the same samples again under new numbers. So
   * it throws nothing but a corrupt file's error (the outbox replaces the
   * file); anything else it logs, and the next commit tries again.
   */
  afterCommit(): void {
    try {
      if (this.usedBytes() > this.highWaterBytes) this.enforce();
      this.#checkEvents();
    } catch (error) {
      if (isCorruption(error)) throw error;
      const message = messageOf(error);
      // A full disk fails it at every commit: say so once per reason, not at every read.
      if (message !== this.#failure) {
        this.#logger.error(
          {
            err: message,
            pending: this.#host.pending(),
            lastAssignedSeq: this.#host.lastAssignedSeq(),
          },
          'outbox disk-bound policy failed after a commit',
        );
      }
      this.#failure = message;
      return;
    }
    if (this.#failure !== null) this.#logger.info('outbox disk-bound policy works again');
    this.#failure = null;
  }

  /** The server took samples: what was refused may be accepted again. */
  release(): void {
    if (this.#full && this.usedBytes() <= this.highWaterBytes * LOW_WATER) this.#setFull(false);
    this.#checkEvents();
  }

  /** The steps of enforce, each chunk its own transaction; the report counts as it goes. */
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
    }
  }

  #inTransaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /** Events past the whole bound are refused; accepted again once the server took some. */
  #checkEvents(): void {
    const used = this.usedBytes();
    const eventsFull = this.#eventsFull
      ? used > this.eventCapBytes * LOW_WATER
      : used > this.eventCapBytes;
    if (eventsFull === this.#eventsFull) return;
    this.#eventsFull = eventsFull;
    if (eventsFull) {
      this.#logger.error(
        { maxBytes: this.maxBytes, usedBytes: used, pending: this.#host.pending() },
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
        { maxBytes: this.maxBytes, pending: this.#host.pending() },
        'outbox full of events alone: refusing positions and readings until the server takes some',
      );
    } else {
      this.#logger.info({ pending: this.#host.pending() }, 'outbox has room again');
    }
  }
}
