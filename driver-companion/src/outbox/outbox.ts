import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { prepareStatements } from './database.js';
import type { Statements } from './database.js';
import { DiskBound } from './disk-bound.js';
import type { ThinReport } from './disk-bound.js';
import { ZERO_COUNTERS, parseJson } from './meta.js';
import type { OutboxCounters, Refusal } from './meta.js';
import { renumberWaiting, renumberingAtHello } from './numbering.js';
import type { NumberingCheck, NumberingState, RenumberResult } from './numbering.js';
import { OutboxFile, bytesOnDisk, isDiskTrouble } from './outbox-file.js';
import type { FileReplacement } from './outbox-file.js';
import { SAMPLE_CLASS, sampleClass, sampleSeries } from './samples.js';
import type { OutboxSample, SampleDraft } from './samples.js';
import { readStoredState } from './stored-state.js';

export { OutboxUnavailableError } from './outbox-file.js';
export { refusalHolds, refuser, serverKey, tokenHash } from './meta.js';
export type { OutboxCounters, Refusal } from './meta.js';
export type { ThinReport } from './disk-bound.js';
export type { NumberingCheck, NumberingPreview, RenumberResult } from './numbering.js';

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
 * Beside it: the disk-bound policy (disk-bound.ts), the hello's numbering
 * check (numbering.ts), the file kept usable through full disks and
 * corruption (outbox-file.ts), the schema and SQL (database.ts).
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
  replacedWhileRunning: FileReplacement | null;
  /** False while the disk refuses to open the file (openWhenPossible): samples wait in memory. */
  available: boolean;
  /** Why the file could not be opened, while it cannot. */
  openError: string | null;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export class Outbox {
  readonly file: string;
  readonly maxBytes: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #journal: boolean;
  readonly #file: OutboxFile;
  // What comes with the open file: set by #attach on every new one. Unset
  // while the file could not be opened; #file.guard keeps every use out then.
  #db!: Database.Database;
  #sql!: Statements;
  #bound!: DiskBound;
  #lastSeq: number;
  #pending: number;
  #counters: OutboxCounters;
  #outboxId!: string;
  #createdAt!: number;
  /** The counter as it was at open: what the server may hold of this outbox's numbers, at most. */
  #lastSeqAtOpen!: number;
  /** The device whose server this outbox's numbering was last checked against at a hello. */
  #numberedFor!: number | null;
  #checkedSinceOpen = false;

  private constructor(options: OutboxOptions) {
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#journal = options.journal ?? false;
    this.#lastSeq = 0;
    this.#pending = 0;
    this.#counters = { ...ZERO_COUNTERS };
    this.#file = new OutboxFile(
      options,
      (db, walBytes) => this.#attach(db, walBytes),
      () => ({ pending: this.#pending, lastAssignedSeq: this.#lastSeq }),
    );
  }

  /** Takes a freshly opened database file as this outbox's: its limits, counters and state. */
  #attach(db: Database.Database, walBytes: number): void {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#bound = new DiskBound({
      db,
      sql: this.#sql,
      maxBytes: this.maxBytes,
      walBytes,
      logger: this.#logger,
      host: {
        pending: () => this.#pending,
        lastAssignedSeq: () => this.#lastSeq,
        removed: (report) => {
          this.#pending -= report.thinnedPositions + report.thinnedReadings + report.droppedOldest;
          this.#counters = {
            ...this.#counters,
            thinnedPositions: this.#counters.thinnedPositions + report.thinnedPositions,
            thinnedReadings: this.#counters.thinnedReadings + report.thinnedReadings,
            droppedOldest: this.#counters.droppedOldest + report.droppedOldest,
          };
        },
        saveCounters: () => this.#sql.setMeta.run('counters', JSON.stringify(this.#counters)),
      },
    });
    this.#checkedSinceOpen = false;

    const stored = readStoredState(db, this.#sql);
    let { outboxId, createdAt } = stored;
    if (!outboxId) {
      outboxId = randomUUID();
      createdAt = this.#now();
      this.#sql.setMeta.run('outbox_id', outboxId);
      this.#sql.setMeta.run('created_at', String(createdAt));
    }
    this.#outboxId = outboxId;
    this.#createdAt = createdAt ?? 0;
    this.#counters = stored.counters;
    this.#lastSeq = stored.lastSeq;
    this.#lastSeqAtOpen = this.#lastSeq;
    this.#numberedFor = stored.numberedFor;
    this.#pending = stored.pending;
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
    outbox.#file.open();
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
      outbox.#file.waitForDisk(error);
      return outbox;
    }
  }

  /** Whether the file is open (false only for an openWhenPossible outbox the disk refused so far). */
  get available(): boolean {
    return this.#file.available;
  }

  /**
   * Counts the times a new file came behind the outbox (a corrupt one moved
   * aside, or the file opened at last): numbers handed out before belong to
   * the old file, so a batch read before must not be settled after.
   */
  get generation(): number {
    return this.#file.generation;
  }

  /**
   * Called when a new file is behind the outbox: a corrupt one was moved
   * aside and a new one started, or the file could be opened at last
   * (openWhenPossible). Returns the unsubscribe.
   */
  onReplaced(listener: () => void): () => void {
    return this.#file.onReplaced(listener);
  }

  /**
   * The outbox's identity: a UUID made with its file and kept in it (a
   * backup restored keeps it; a new file, or one started after a corrupt
   * one was moved aside, gets a new one). Named in the handshake so the
   * server can say whether the numbers it holds came from this outbox.
   * Null while the file could not be opened.
   */
  get id(): string | null {
    return this.#file.read(() => this.#outboxId, null);
  }

  get lastAssignedSeq(): number {
    return this.#lastSeq;
  }

  get pending(): number {
    return this.#pending;
  }

  get full(): boolean {
    return this.#file.available && this.#bound.full;
  }

  get eventsFull(): boolean {
    return this.#file.available && this.#bound.eventsFull;
  }

  /**
   * Commits drafts in one transaction, numbering them in order. Drafts must
   * already be valid samples (the sink checks them with the protocol's schema).
   */
  append(drafts: readonly SampleDraft[]): AppendResult {
    return this.#file.guard(() => {
      if (drafts.length === 0) return { first: null, last: null, stored: 0, refused: 0 };
      let refused = 0;
      let refusedEvents = 0;
      let first: number | null = null;
      let seq = this.#lastSeq;
      let stored = 0;
      let counters = this.#counters;
      const { full, eventsFull } = this.#bound;
      this.#db.transaction(() => {
        for (const draft of drafts) {
          const cls = sampleClass(draft.kind);
          if (full && cls !== SAMPLE_CLASS.critical) {
            refused += 1;
            continue;
          }
          if (eventsFull && cls === SAMPLE_CLASS.critical) {
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
      if (stored > 0 || !this.#bound.full) this.#applyPolicy();
      return { first, last: first === null ? null : seq, stored, refused: refused + refusedEvents };
    });
  }

  /** Samples with afterSeq < seq <= throughSeq, oldest first. */
  read(afterSeq: number, throughSeq: number | null, limit: number): OutboxRow[] {
    return this.#file.guard(() => {
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
    return this.#file.guard(() => {
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
      this.#bound.release();
      return deleted;
    });
  }

  /** Moves a batch the server could not read at all out of the way (kept for inspection). */
  quarantine(first: number, last: number, reason: string): number {
    return this.#file.guard(() => {
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
   * number against this outbox's numbering (the rule: renumberingAtHello).
   * Waiting samples the server may hold other samples under are renumbered
   * above its highest, in their order; anything else of what waits that it
   * holds is a true replay and keeps its number. `lastOutboxId` is the
   * hello's: the outbox the server says the token's numbers last came from.
   * The check is recorded with the renumbering, in one transaction. Call
   * only with nothing in flight.
   */
  checkNumbering(
    deviceId: number,
    highestStoredSeq: number,
    lastOutboxId?: string | null,
  ): NumberingCheck {
    return this.#file.guard(() => {
      const needed = renumberingAtHello(
        this.#numbering(),
        deviceId,
        highestStoredSeq,
        lastOutboxId,
      );
      const result =
        needed === null
          ? { renumbered: 0, from: null, lastAssignedSeq: this.#lastSeq }
          : this.#renumber(highestStoredSeq, needed.after, deviceId);
      this.#numberedFor = deviceId;
      this.#checkedSinceOpen = true;
      return { ...result, reason: needed?.reason ?? null };
    });
  }

  #numbering(): NumberingState {
    return {
      outboxId: this.#outboxId,
      lastAssignedSeq: this.#lastSeq,
      lastSeqAtOpen: this.#lastSeqAtOpen,
      numberedFor: this.#numberedFor,
      checkedSinceOpen: this.#checkedSinceOpen,
    };
  }

  /**
   * An ack says the server holds numbers this outbox never handed out
   * (another companion with this token?): waiting samples get new numbers
   * above the server's, in their order. Call only with nothing in flight.
   */
  renumberAbove(highestStoredSeq: number): RenumberResult {
    return this.#file.guard(() => {
      if (highestStoredSeq <= this.#lastSeq) {
        return { renumbered: 0, from: null, lastAssignedSeq: this.#lastSeq };
      }
      return this.#renumber(highestStoredSeq, 0, null);
    });
  }

  #renumber(highestStoredSeq: number, after: number, deviceId: number | null): RenumberResult {
    const { result, counters } = renumberWaiting(
      { db: this.#db, sql: this.#sql, journal: this.#journal },
      { highestStoredSeq, after, deviceId },
      { lastAssignedSeq: this.#lastSeq, counters: this.#counters },
    );
    this.#counters = counters;
    this.#lastSeq = result.lastAssignedSeq;
    return result;
  }

  /** The disk-bound policy (see DiskBound.enforce), run now. */
  enforceDiskBound(): ThinReport {
    return this.#file.guard(() => this.#bound.enforce());
  }

  /** Bytes of database pages holding data (the file keeps freed pages for reuse). */
  usedBytes(): number {
    return this.#file.read(() => this.#bound.usedBytes(), 0);
  }

  getRefusal(): Refusal | null {
    return this.#file.read(() => {
      return parseJson<Refusal | null>(this.#meta('refusal'), null);
    }, null);
  }

  setRefusal(refusal: Refusal | null): void {
    this.#file.guard(() => {
      if (refusal) this.#sql.setMeta.run('refusal', JSON.stringify(refusal));
      else this.#sql.deleteMeta.run('refusal');
    });
  }

  /** What the server said about this device at the last hello. */
  getIdentity(): { deviceId: number; vehicleId: number } | null {
    return this.#file.read(() => {
      return parseJson<{ deviceId: number; vehicleId: number } | null>(
        this.#meta('identity'),
        null,
      );
    }, null);
  }

  setIdentity(identity: { deviceId: number; vehicleId: number }): void {
    this.#file.guard(() => {
      this.#sql.setMeta.run('identity', JSON.stringify(identity));
    });
  }

  /** Small state other parts keep between runs (the trip in progress, say), as JSON. */
  getState<T>(key: string): T | null {
    return this.#file.read(() => {
      return parseJson<T | null>(this.#meta(`state:${key}`), null);
    }, null);
  }

  setState(key: string, value: unknown): void {
    this.#file.guard(() => {
      if (value === null) this.#sql.deleteMeta.run(`state:${key}`);
      else this.#sql.setMeta.run(`state:${key}`, JSON.stringify(value));
    });
  }

  getVin(): string | null {
    return this.#file.read(() => {
      return this.#meta('vin') ?? null;
    }, null);
  }

  setVin(vin: string): void {
    this.#file.guard(() => {
      this.#sql.setMeta.run('vin', vin);
    });
  }

  recentRejections(
    limit = 10,
  ): { seq: number | null; field: string; reason: string; at: number }[] {
    return this.#file.read(() => {
      return this.#sql.recentRejections.all(limit) as {
        seq: number | null;
        field: string;
        reason: string;
        at: number;
      }[];
    }, []);
  }

  quarantined(): number {
    return this.#file.read(() => {
      return (this.#db.prepare('SELECT count(*) AS n FROM quarantine').get() as { n: number }).n;
    }, 0);
  }

  /** The oldest waiting sample's number and time. */
  oldest(): { seq: number; t: number } | null {
    return this.#file.read(() => {
      return (this.#sql.oldest.get() as { seq: number; t: number } | undefined) ?? null;
    }, null);
  }

  stats(): OutboxStats {
    const openError = this.#file.openError;
    if (openError !== null) {
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
        replacedWhileRunning: this.#file.lastReplacement,
        available: false,
        openError,
      };
    }
    return this.#file.guard(() => {
      const oldest = this.oldest();
      return {
        pending: this.#pending,
        oldestSeq: oldest?.seq ?? null,
        oldestT: oldest?.t ?? null,
        lastAssignedSeq: this.#lastSeq,
        usedBytes: this.usedBytes(),
        fileBytes: this.fileBytes(),
        maxBytes: this.maxBytes,
        full: this.#bound.full,
        eventsFull: this.#bound.eventsFull,
        thinAboveBytes: Math.round(this.#bound.highWaterBytes),
        refuseEventsAboveBytes: this.#bound.eventCapBytes,
        counters: { ...this.#counters },
        outboxId: this.#outboxId,
        createdAt: this.#createdAt,
        replacedWhileRunning: this.#file.lastReplacement,
        available: true,
        openError: null,
      };
    });
  }

  fileBytes(): number {
    return bytesOnDisk(this.file);
  }

  /** Every sample ever committed, when the journal is on (audits and acceptance tests). */
  journal(): OutboxRow[] {
    return this.#file.guard(() => {
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
    this.#file.close();
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
   * The disk-bound policy after a commit (or at open): it never throws, or
   * the caller would commit the same samples again under new numbers (see
   * DiskBound.afterCommit). A corrupt file it found is replaced here.
   */
  #applyPolicy(): void {
    try {
      this.#bound.afterCommit();
    } catch (error) {
      try {
        this.#file.replaceIfCorrupt(error);
      } catch (failure) {
        this.#logger.error({ err: messageOf(failure) }, 'could not start a new outbox');
      }
    }
  }
}
