import { BatchReplySchema } from '@fleetline/protocol';
import type { BatchAck } from '@fleetline/protocol';
import type { Outbox, OutboxRow } from '../outbox/outbox.js';
import type { OutboxSample } from '../outbox/samples.js';
import { Backoff, jitter } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { monotonicNow } from '../clock/monotonic.js';

/** One batch on the wire; resolves with the raw reply, rejects when no reply can come. */

/** Rejections of one batch logged line by line; the rest are summed up in one line. */
const REJECTIONS_LOGGED_PER_BATCH = 3;
export interface BatchChannel {
  send(samples: OutboxSample[]): Promise<unknown>;
}

export interface BatchSenderOptions {
  outbox: Outbox;
  channel: BatchChannel;
  logger: Logger;
  batchMaxSamples: number;
  /** Live samples wait at most this long to be sent together. */
  sendIntervalMs: number;
  backlogMaxInFlight: number;
  backlogSamplesPerSecond: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** No reply can come (ack timeout, connection gone): the connection should be renewed. */
  onConnectionTrouble: (reason: string) => void;
  /** A batch was settled by the server (for the uplink's bookkeeping). */
  onSettled?: (ack: BatchAck) => void;
  /** The outbox failed a read or a write (disk, corruption): the batch was kept, the lane backs off. */
  onOutboxError?: (error: unknown) => void;
  now?: () => number;
  random?: () => number;
}

export type LaneName = 'live' | 'backlog';

export interface SenderStats {
  batchesSent: number;
  batchesSettled: number;
  samplesStored: number;
  duplicates: number;
  rejected: number;
  quarantined: number;
  garbageReplies: number;
  errorReplies: Record<string, number>;
  /** Outbox calls that failed (each backed off, nothing lost). */
  outboxErrors: number;
  lastOutboxError: { message: string; at: number } | null;
  inFlight: number;
  batchSize: number;
  lastSettledAt: number | null;
  lastRejection: { seq: number | null; field: string; reason: string } | null;
  backlog: { fromSeq: number; throughSeq: number; cursor: number; done: boolean } | null;
}

/** The server refuses a ninth batch awaiting its reply; stay under it with room to spare. */
const MAX_TOTAL_IN_FLIGHT = 6;
const LIVE_MAX_IN_FLIGHT = 2;

interface Lane {
  name: LaneName;
  /** Rows after this seq belong to the lane... */
  from: number;
  /** ...up to this one (null: open-ended, the live lane). */
  through: number | null;
  /** Highest seq handed to a batch. */
  cursor: number;
  inFlight: number;
  window: number;
  maxWindow: number;
  pausedUntil: number;
  /** Resend from the lane's start once its batches in flight are back. */
  rewind: boolean;
  done: boolean;
  retry: Backoff;
}

interface Batch {
  lane: Lane;
  generation: number;
  /** The outbox's file when the batch was read: its numbers mean nothing in a file started since. */
  outboxGeneration: number;
  first: number;
  last: number;
  rows: OutboxRow[];
}

/**
 * Sends the outbox to the server over one connection.
 *
 * Two lanes: when a connection starts, everything already waiting is the
 * backlog, drained oldest first; anything committed afterwards is live and
 * goes out within sendIntervalMs, so the console sees the vehicle move
 * while hours of backlog drain behind it. The backlog is paced (a window of
 * batches in flight that grows with each ack and shrinks to one on trouble,
 * and a ceiling in samples per second), so a fleet coming back after an
 * outage does not flood the server.
 *
 * Replies: an ack settles its whole batch (stored, duplicate or rejected for
 * good) and only then are the rows deleted; an ack that does not match the
 * batch it answers is not trusted. Errors keep the rows: `unavailable` and
 * `shutting-down` back off with jitter, `rate-limited` waits, `batch-too-large`
 * halves the batch, `batch-malformed` (our bug) moves the batch to quarantine
 * instead of retrying it forever. A batch whose reply never comes is resent
 * on the next connection; the server recognises the replay by sequence number.
 */
export class BatchSender {
  readonly #o: BatchSenderOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  #generation = 0;
  #active = false;
  #draining = false;
  #live: Lane | null = null;
  #backlog: Lane | null = null;
  #batchSize: number;
  #nextLiveAt = 0;
  #nextBacklogAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #resyncTo: number | null = null;
  #idleWaiters: (() => void)[] = [];
  #inFlight = 0;
  readonly #stats: Omit<SenderStats, 'inFlight' | 'batchSize' | 'backlog'> = {
    batchesSent: 0,
    batchesSettled: 0,
    samplesStored: 0,
    duplicates: 0,
    rejected: 0,
    quarantined: 0,
    garbageReplies: 0,
    errorReplies: {},
    outboxErrors: 0,
    lastOutboxError: null,
    lastSettledAt: null,
    lastRejection: null,
  };

  constructor(options: BatchSenderOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#now = options.now ?? monotonicNow;
    this.#random = options.random ?? Math.random;
    this.#batchSize = options.batchMaxSamples;
  }

  /**
   * Starts sending on a fresh connection. Everything in the outbox now is
   * backlog. Call after the hello's renumbering, with nothing in flight.
   */
  start(maxBatchSamples: number): { backlogFromSeq: number | null; backlogThroughSeq: number } {
    this.#generation += 1;
    this.#active = true;
    this.#draining = false;
    this.#inFlight = 0;
    this.#batchSize = Math.max(1, Math.min(this.#o.batchMaxSamples, maxBatchSamples));
    const through = this.#o.outbox.lastAssignedSeq;
    let oldest: number | null = null;
    try {
      oldest = this.#o.outbox.oldest()?.seq ?? null;
    } catch (error) {
      // Only for the log; reading the backlog finds out for itself.
      this.#log.warn({ err: messageOf(error) }, 'could not read the oldest waiting sample');
    }
    this.#backlog = this.#lane('backlog', 0, through, this.#o.backlogMaxInFlight);
    this.#live = this.#lane('live', through, null, LIVE_MAX_IN_FLIGHT);
    this.#backlog.window = 1;
    this.#nextLiveAt = 0;
    this.#nextBacklogAt = 0;
    this.#pump();
    return { backlogFromSeq: oldest, backlogThroughSeq: through };
  }

  /** New samples were committed. */
  notify(): void {
    if (this.#active) this.#pump();
  }

  /** The connection is gone: replies to batches in flight will not come (an ack that still does is honoured). */
  stop(): void {
    this.#active = false;
    this.#generation += 1;
    this.#inFlight = 0;
    this.#live = null;
    this.#backlog = null;
    this.#clearTimer();
    this.#wakeIdle();
  }

  /** Sends nothing new and waits (up to timeoutMs) for the replies to batches in flight. */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.#clearTimer();
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stats(): SenderStats {
    const backlog = this.#backlog;
    return {
      ...this.#stats,
      errorReplies: { ...this.#stats.errorReplies },
      lastOutboxError: this.#stats.lastOutboxError && { ...this.#stats.lastOutboxError },
      inFlight: this.#inFlight,
      batchSize: this.#batchSize,
      backlog: backlog
        ? {
            fromSeq: backlog.from,
            throughSeq: backlog.through ?? 0,
            cursor: backlog.cursor,
            done: backlog.done,
          }
        : null,
    };
  }

  #lane(name: LaneName, from: number, through: number | null, maxWindow: number): Lane {
    return {
      name,
      from,
      through,
      cursor: from,
      inFlight: 0,
      window: maxWindow,
      maxWindow,
      pausedUntil: 0,
      rewind: false,
      done: false,
      retry: new Backoff({
        minMs: this.#o.retryMinMs,
        maxMs: this.#o.retryMaxMs,
        random: this.#random,
      }),
    };
  }

  #pump(): void {
    if (!this.#active || this.#draining) return;
    if (this.#resyncTo !== null) {
      if (this.#inFlight > 0) return;
      if (!this.#resync(this.#resyncTo)) return;
    }
    const now = this.#now();
    let wakeAt = Infinity;
    for (const lane of [this.#live, this.#backlog]) {
      if (lane) wakeAt = Math.min(wakeAt, this.#fill(lane, now));
    }
    if (this.#active && wakeAt < Infinity) this.#wakeAt(wakeAt);
  }

  /** Sends what the lane may send now; returns when it could send more (Infinity: on notify/reply). */
  #fill(lane: Lane, now: number): number {
    for (;;) {
      // An outbox error may have ended the connection from under this loop.
      if (!this.#active || this.#draining || lane.done) return Infinity;
      if (now < lane.pausedUntil) return lane.pausedUntil;
      if (lane.rewind) {
        if (lane.inFlight > 0) return Infinity;
        lane.cursor = lane.from;
        lane.rewind = false;
      }
      if (lane.inFlight >= lane.window || this.#inFlight >= MAX_TOTAL_IN_FLIGHT) return Infinity;
      if (lane.name === 'live') {
        // Wait for company unless a full batch is already waiting.
        const waiting = this.#o.outbox.lastAssignedSeq - lane.cursor;
        if (waiting <= 0) return Infinity;
        if (now < this.#nextLiveAt && waiting < this.#batchSize) return this.#nextLiveAt;
      } else if (this.#nextBacklogAt - now >= 1) {
        // Sub-millisecond debts are rounding, not pacing.
        return this.#nextBacklogAt;
      }
      let rows: OutboxRow[];
      try {
        rows = this.#o.outbox.read(lane.cursor, lane.through, this.#batchSize);
      } catch (error) {
        this.#outboxTrouble(lane, 'read', error);
        return lane.pausedUntil;
      }
      if (rows.length === 0) {
        if (lane.name === 'backlog' && lane.inFlight === 0 && !lane.done) {
          lane.done = true;
          this.#log.info({ throughSeq: lane.through }, 'backlog drained');
        }
        // The live lane has caught up with everything committed.
        if (lane.name === 'live')
          lane.cursor = Math.max(lane.cursor, this.#o.outbox.lastAssignedSeq);
        return Infinity;
      }
      lane.cursor = rows.at(-1)?.seq ?? lane.cursor;
      if (lane.name === 'live') this.#nextLiveAt = now + this.#o.sendIntervalMs;
      else {
        const spacing = (rows.length / this.#o.backlogSamplesPerSecond) * 1000;
        this.#nextBacklogAt = Math.max(now, this.#nextBacklogAt) + spacing;
      }
      this.#send(lane, rows);
    }
  }

  #send(lane: Lane, rows: OutboxRow[]): void {
    const first = rows[0]?.seq ?? 0;
    const last = rows.at(-1)?.seq ?? 0;
    const batch: Batch = {
      lane,
      generation: this.#generation,
      outboxGeneration: this.#o.outbox.generation,
      first,
      last,
      rows,
    };
    lane.inFlight += 1;
    this.#inFlight += 1;
    this.#stats.batchesSent += 1;
    this.#log.debug({ lane: lane.name, first, last, count: rows.length }, 'batch sent');
    this.#o.channel.send(rows.map((r) => r.sample)).then(
      (reply) => this.#onReply(batch, reply),
      (error: unknown) => this.#onNoReply(batch, error),
    );
  }

  /** Bookkeeping for a batch of the current connection that is no longer in flight. */
  #afterReply(batch: Batch): boolean {
    if (batch.generation !== this.#generation) return false;
    batch.lane.inFlight -= 1;
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#wakeIdle();
    return true;
  }

  #onReply(batch: Batch, raw: unknown): void {
    const current = this.#afterReply(batch);
    const parsed = BatchReplySchema.safeParse(raw);
    if (!parsed.success) {
      if (current) this.#garbage(batch, raw, 'the reply is neither an ack nor an error');
      return;
    }
    const reply = parsed.data;
    if ('ok' in reply) {
      const mismatch = mismatchOf(reply, batch);
      if (mismatch) {
        if (current) this.#garbage(batch, raw, mismatch);
        return;
      }
      // The server has settled these whatever connection they came on: forget them.
      if (!this.#settle(batch, reply) && current) this.#outboxTrouble(batch.lane, 'settle', null);
      if (current) this.#pump();
      return;
    }
    if (!current) return;
    const { type, message } = reply.error;
    this.#stats.errorReplies[type] = (this.#stats.errorReplies[type] ?? 0) + 1;
    const lane = batch.lane;
    switch (type) {
      case 'batch-too-large': {
        this.#batchSize = Math.max(1, Math.floor(batch.rows.length / 2));
        this.#log.warn(
          { batchSize: this.#batchSize, message },
          'server says the batch is too large; sending smaller ones',
        );
        lane.rewind = true;
        break;
      }
      case 'batch-malformed': {
        let moved: number;
        try {
          if (batch.outboxGeneration !== this.#o.outbox.generation) break;
          moved = this.#o.outbox.quarantine(batch.first, batch.last, `batch-malformed: ${message}`);
        } catch (error) {
          this.#outboxTrouble(lane, 'quarantine', error);
          break;
        }
        this.#stats.quarantined += moved;
        this.#log.error(
          { first: batch.first, last: batch.last, moved, message },
          'server could not read a batch (a companion bug); moved it to quarantine',
        );
        break;
      }
      case 'rate-limited': {
        lane.window = 1;
        lane.pausedUntil = this.#now() + jitter(500, 2000, this.#random);
        lane.rewind = true;
        this.#log.warn(
          { lane: lane.name },
          'server says too many batches await their ack; waiting',
        );
        break;
      }
      default: {
        // unavailable, shutting-down, internal, and anything newer than this companion.
        const delay = lane.retry.next();
        lane.window = 1;
        lane.pausedUntil = this.#now() + delay;
        lane.rewind = true;
        this.#log.warn(
          {
            lane: lane.name,
            type,
            message,
            retryInMs: delay,
            first: batch.first,
            last: batch.last,
          },
          'server could not take a batch; keeping it and retrying',
        );
      }
    }
    this.#pump();
  }

  #onNoReply(batch: Batch, error: unknown): void {
    if (!this.#afterReply(batch)) return;
    this.#log.warn(
      { err: messageOf(error), first: batch.first, last: batch.last },
      'no reply to a batch',
    );
    batch.lane.rewind = true;
    this.#o.onConnectionTrouble(`no reply to a batch: ${messageOf(error)}`);
  }

  /** Deletes an acknowledged batch; false if the outbox would not (the batch stays, to be resent). */
  #settle(batch: Batch, ack: BatchAck): boolean {
    if (batch.outboxGeneration !== this.#o.outbox.generation) {
      // Read from a file moved aside since (corrupt): its rows went with it.
      this.#log.info(
        { first: batch.first, last: batch.last },
        'ack for a batch of an outbox replaced since; nothing to delete',
      );
      return true;
    }
    const rejections = ack.rejected.map((r) => ({ seq: r.seq, field: r.field, reason: r.reason }));
    try {
      this.#o.outbox.settle(batch.first, batch.last, rejections);
    } catch (error) {
      this.#outboxFailed('settle', error, { first: batch.first, last: batch.last });
      return false;
    }
    this.#stats.batchesSettled += 1;
    this.#stats.samplesStored += ack.stored;
    this.#stats.duplicates += ack.duplicates;
    this.#stats.rejected += ack.rejected.length;
    this.#stats.lastSettledAt = this.#now();
    // A backlog the server will not keep (older than its retention, say) is
    // refused a whole batch at a time: a few lines in full, then one line
    // for the rest. Every rejection is kept in the outbox (recentRejections).
    for (const r of ack.rejected.slice(0, REJECTIONS_LOGGED_PER_BATCH)) {
      const sample = batch.rows[r.index]?.sample;
      this.#log.warn(
        { seq: r.seq, kind: sample?.kind, t: sample?.t, field: r.field, reason: r.reason },
        'server rejected a sample for good; not retrying it',
      );
    }
    const unlogged = ack.rejected.length - REJECTIONS_LOGGED_PER_BATCH;
    if (unlogged > 0) {
      const fields = [...new Set(ack.rejected.map((r) => r.field))];
      this.#log.warn(
        { rejected: unlogged, fields, first: batch.first, last: batch.last },
        'server rejected more samples of the batch for good; not retrying them',
      );
    }
    const lastRejection = ack.rejected.at(-1);
    if (lastRejection)
      this.#stats.lastRejection = {
        seq: lastRejection.seq,
        field: lastRejection.field,
        reason: lastRejection.reason,
      };
    this.#log.debug(
      {
        lane: batch.lane.name,
        first: batch.first,
        last: batch.last,
        stored: ack.stored,
        duplicates: ack.duplicates,
        rejected: ack.rejected.length,
      },
      'batch acknowledged',
    );
    const lane = batch.lane;
    lane.retry.reset();
    lane.window = Math.min(lane.maxWindow, lane.window + 1);
    this.#o.onSettled?.(ack);
    if (ack.highestStoredSeq > this.#o.outbox.lastAssignedSeq && this.#resyncTo === null) {
      this.#log.error(
        { highestStoredSeq: ack.highestStoredSeq, lastAssignedSeq: this.#o.outbox.lastAssignedSeq },
        'the server holds sequence numbers this outbox never assigned; renumbering what waits',
      );
      this.#resyncTo = ack.highestStoredSeq;
    }
    return true;
  }

  #garbage(batch: Batch, raw: unknown, why: string): void {
    this.#stats.garbageReplies += 1;
    const lane = batch.lane;
    const delay = lane.retry.next();
    lane.window = 1;
    lane.pausedUntil = this.#now() + delay;
    lane.rewind = true;
    this.#log.error(
      { why, reply: preview(raw), first: batch.first, last: batch.last, retryInMs: delay },
      'server answered a batch with something that is not a valid reply; keeping the batch',
    );
    this.#pump();
  }

  /** False when the outbox could not renumber: nothing may be sent on this connection then. */
  #resync(highestStoredSeq: number): boolean {
    this.#resyncTo = null;
    let result;
    try {
      result = this.#o.outbox.renumberAbove(highestStoredSeq);
    } catch (error) {
      this.#outboxFailed('renumber', error, { highestStoredSeq });
      // The next connection's hello checks the numbering again.
      this.#o.onConnectionTrouble(`the outbox could not renumber: ${messageOf(error)}`);
      return false;
    }
    this.#log.warn({ ...result }, 'waiting samples renumbered');
    const through = this.#o.outbox.lastAssignedSeq;
    this.#backlog = this.#lane('backlog', 0, through, this.#o.backlogMaxInFlight);
    this.#backlog.window = 1;
    this.#live = this.#lane('live', through, null, LIVE_MAX_IN_FLIGHT);
    return true;
  }

  /**
   * A lane's outbox call failed: it keeps what it had (nothing was sent, or
   * the batch stays to be resent), backs off and starts over from its oldest
   * waiting sample. `error` null: already counted and logged.
   */
  #outboxTrouble(lane: Lane, what: string, error: unknown): void {
    const delay = lane.retry.next();
    lane.window = 1;
    lane.pausedUntil = this.#now() + delay;
    lane.rewind = true;
    if (error !== null) this.#outboxFailed(what, error, { lane: lane.name, retryInMs: delay });
  }

  #outboxFailed(what: string, error: unknown, fields: Record<string, unknown>): void {
    const message = messageOf(error);
    this.#stats.outboxErrors += 1;
    this.#stats.lastOutboxError = { message: `${what}: ${message}`, at: this.#now() };
    this.#log.error(
      { what, err: message, ...fields },
      'the outbox failed the uplink; keeping what waits and retrying',
    );
    this.#o.onOutboxError?.(error);
  }

  #wakeAt(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.#pump();
      },
      Math.max(0, at - this.#now()),
    );
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  #wakeIdle(): void {
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}

/** Why an ack cannot be the answer to this batch, or null if it can. */
function mismatchOf(ack: BatchAck, batch: Batch): string | null {
  if (ack.ackSeq !== batch.last) return `ackSeq ${ack.ackSeq} but the batch ends at ${batch.last}`;
  const settled = ack.stored + ack.duplicates + ack.rejected.length;
  if (settled !== batch.rows.length) {
    return `${settled} samples settled but the batch held ${batch.rows.length}`;
  }
  for (const r of ack.rejected) {
    const row = batch.rows[r.index];
    if (!row) return `rejection of index ${r.index} outside the batch`;
    if (r.seq !== null && r.seq !== row.seq)
      return `rejection of seq ${r.seq} at index ${r.index}, which holds ${row.seq}`;
  }
  return null;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
