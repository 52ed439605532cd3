import { TelemetrySampleSchema, fieldErrors } from '@fleetline/protocol';
import type { Outbox, AppendResult } from '../outbox/outbox.js';
import { SAMPLE_CLASS, sampleClass } from '../outbox/samples.js';
import type { SampleDraft } from '../outbox/samples.js';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';

export interface SinkStats {
  /** Samples accepted from sampling (valid). */
  accepted: number;
  /** Samples refused before the outbox because they break the protocol (a bug or a bad sensor). */
  invalid: number;
  /** Samples committed to the outbox. */
  committed: number;
  /** Transactions that committed (one per device read, or per group with commitIntervalMs > 0). */
  commits: number;
  /** Checked but not committed yet: only while the disk refuses commits, or between a read and the end of its task. */
  staged: number;
  /** Dropped from the staging area while the disk refused commits. */
  droppedWhileFailing: number;
  lastCommitAt: number | null;
  lastError: string | null;
}

export interface SampleSinkOptions {
  outbox: Outbox;
  /**
   * 0 (the default): commit at the end of the task that produced the
   * samples, so each device read is durable before the companion does
   * anything else. Above 0: commit in groups this often instead, for storage
   * where one fsync per read is too slow; a SIGKILL then loses up to this
   * much of what was read.
   */
  commitIntervalMs?: number;
  logger: Logger;
  /** Called after each commit (the uplink sends what was committed). */
  onCommitted?: (result: AppendResult) => void;
  /** Staging bound while commits fail (a full or broken disk). */
  maxStaged?: number;
  now?: () => number;
}

/** While the disk refuses commits, how often to try again (new samples are only staged meanwhile). */
const RETRY_MS = 1000;

/**
 * Where sampling puts samples: each is checked against the protocol's schema
 * (so the outbox never holds a sample the server must refuse), then
 * committed in one transaction per device read. A read is handled in one
 * synchronous task (one GPS epoch, one OBD reply, packed or not, one battery
 * or trouble-code read, and the derived events they trigger), so push()
 * stages and queues a microtask that commits: everything one read produced
 * goes into one transaction before the event loop turns to anything else. A
 * burst of reads that arrives in one chunk (a serial buffer emptying) is one
 * task, hence one transaction: group commit comes for free where it helps.
 *
 * If the disk refuses a commit the samples stay staged, in order, and the
 * commit is retried on a timer (RETRY_MS, or the group interval if longer),
 * not at every read: a full or busy disk would otherwise be asked to write
 * the whole growing backlog several times a second. New reads are staged
 * behind it meanwhile; the first commit that works resumes a commit per
 * read. Staging is bounded, and positions and readings go before events if
 * it overflows.
 */
export class SampleSink {
  readonly #outbox: Outbox;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #commitQueued = false;
  readonly #onCommitted: SampleSinkOptions['onCommitted'];
  readonly #maxStaged: number;
  readonly #now: () => number;
  #staged: SampleDraft[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stats: SinkStats = {
    accepted: 0,
    invalid: 0,
    committed: 0,
    commits: 0,
    staged: 0,
    droppedWhileFailing: 0,
    lastCommitAt: null,
    lastError: null,
  };
  #invalidLogged = 0;
  #stopped = false;

  constructor(options: SampleSinkOptions) {
    this.#outbox = options.outbox;
    this.#logger = options.logger;
    this.#intervalMs = options.commitIntervalMs ?? 0;
    this.#onCommitted = options.onCommitted;
    this.#maxStaged = options.maxStaged ?? 20_000;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the group-commit timer (commitIntervalMs > 0 only; per-read commits need none). */
  start(): void {
    if (this.#intervalMs <= 0 || this.#timer) return;
    this.#schedule(this.#intervalMs);
  }

  /** Commits what is staged and stops retrying. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.flush();
  }

  /** Checks a sample and stages it; false if it breaks the protocol. */
  push(draft: SampleDraft): boolean {
    const parsed = TelemetrySampleSchema.safeParse({ ...draft, seq: 1 });
    if (!parsed.success) {
      this.#stats.invalid += 1;
      // A broken sensor repeats itself: log the first few, then every thousandth.
      if (this.#invalidLogged < 20 || this.#stats.invalid % 1000 === 0) {
        this.#invalidLogged += 1;
        this.#logger.warn(
          { kind: draft.kind, errors: fieldErrors(parsed.error), invalid: this.#stats.invalid },
          'sample breaks the protocol; not recorded',
        );
      }
      return false;
    }
    // The parsed form: defaults applied, unknown fields gone.
    const { seq: _seq, ...clean } = parsed.data;
    this.#staged.push(clean);
    this.#stats.accepted += 1;
    if (this.#staged.length > this.#maxStaged) this.#shed();
    if (this.#intervalMs > 0) return true;
    if (this.#failing) {
      // The retry timer commits what waits; a read only adds to it.
      this.#retryLater();
    } else if (!this.#commitQueued) {
      // After the rest of this read is staged, before anything else runs.
      this.#commitQueued = true;
      queueMicrotask(() => {
        this.#commitQueued = false;
        this.flush();
      });
    }
    return true;
  }

  /** Commits what is staged now. */
  flush(): AppendResult | null {
    if (this.#staged.length === 0) return null;
    const batch = this.#staged;
    this.#staged = [];
    let result: AppendResult;
    try {
      result = this.#outbox.append(batch);
    } catch (error) {
      // Keep them for the next attempt, ahead of anything staged since.
      this.#staged = batch.concat(this.#staged);
      const message = messageOf(error);
      if (this.#stats.lastError !== message) {
        this.#logger.error(
          { err: message, staged: this.#staged.length },
          'outbox commit failed; retrying',
        );
      }
      this.#stats.lastError = message;
      this.#retryLater();
      return null;
    }
    if (this.#stats.lastError) this.#logger.info('outbox commits again');
    this.#stats.lastError = null;
    this.#stats.committed += result.stored;
    this.#stats.commits += 1;
    this.#stats.lastCommitAt = this.#now();
    try {
      this.#onCommitted?.(result);
    } catch (error) {
      // The commit stands: a listener's trouble (the uplink's) must not undo or repeat it.
      this.#logger.error({ err: messageOf(error) }, 'a listener of the commits failed');
    }
    return result;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
      if (this.#intervalMs > 0 && !this.#stopped) {
        this.#schedule(this.#failing ? Math.max(this.#intervalMs, RETRY_MS) : this.#intervalMs);
      }
    }, ms);
    this.#timer.unref();
  }

  /** Per-read mode has no timer: without a retry, a quiet device would leave what is staged there. */
  #retryLater(): void {
    if (this.#intervalMs <= 0 && !this.#timer && !this.#stopped) this.#schedule(RETRY_MS);
  }

  /** The last commit failed: until one works, only the timer tries again. */
  get #failing(): boolean {
    return this.#stats.lastError !== null;
  }

  stats(): SinkStats {
    return { ...this.#stats, staged: this.#staged.length };
  }

  /** Staging overflowed while commits fail: the oldest positions and readings go first. */
  #shed(): void {
    const excess = this.#staged.length - this.#maxStaged;
    let dropped = 0;
    this.#staged = this.#staged.filter((draft) => {
      if (dropped >= excess || sampleClass(draft.kind) === SAMPLE_CLASS.critical) return true;
      dropped += 1;
      return false;
    });
    this.#stats.droppedWhileFailing += dropped;
  }
}
