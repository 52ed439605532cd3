import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../outbox/outbox.js';
import type { OutboxSample, SampleDraft } from '../outbox/samples.js';
import { createLogger } from '../util/logger.js';
import { BatchSender } from './batch-sender.js';
import type { BatchChannel, BatchSenderOptions } from './batch-sender.js';

const logger = createLogger('silent');
const T0 = Date.UTC(2026, 10, 21, 8);

interface Sent {
  samples: OutboxSample[];
  resolve(reply: unknown): void;
  reject(error: Error): void;
}

/** A channel whose replies the test gives by hand. */
class ScriptedChannel implements BatchChannel {
  readonly sent: Sent[] = [];
  send(samples: OutboxSample[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.sent.push({ samples, resolve, reject }));
  }
  seqs(i: number): number[] {
    return this.sent[i]?.samples.map((s) => s.seq) ?? [];
  }
  range(i: number): [number, number] {
    const seqs = this.seqs(i);
    return [seqs[0] ?? -1, seqs.at(-1) ?? -1];
  }
  /** The ack a correct server would send: everything stored. */
  ack(
    i: number,
    extra: Partial<{
      stored: number;
      duplicates: number;
      rejected: unknown[];
      highestStoredSeq: number;
    }> = {},
  ): void {
    const seqs = this.seqs(i);
    const last = seqs.at(-1) ?? 0;
    this.sent[i]?.resolve({
      ok: true,
      ackSeq: last,
      highestStoredSeq: extra.highestStoredSeq ?? last,
      stored: extra.stored ?? seqs.length - (extra.duplicates ?? 0) - (extra.rejected?.length ?? 0),
      duplicates: extra.duplicates ?? 0,
      rejected: extra.rejected ?? [],
    });
  }
  error(i: number, type: string, message = type): void {
    this.sent[i]?.resolve({ error: { type, message } });
  }
}

let dir: string;
let outbox: Outbox;
let channel: ScriptedChannel;
let trouble: string[];

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-sender-'));
  outbox = Outbox.open({
    file: path.join(dir, 'outbox.sqlite'),
    maxBytes: 64 << 20,
    synchronous: 'NORMAL',
    logger,
  });
  channel = new ScriptedChannel();
  trouble = [];
});

afterEach(() => {
  vi.useRealTimers();
  outbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sender(options: Partial<BatchSenderOptions> = {}): BatchSender {
  return new BatchSender({
    outbox,
    channel,
    logger,
    batchMaxSamples: 100,
    sendIntervalMs: 1000,
    backlogMaxInFlight: 3,
    backlogSamplesPerSecond: 1_000_000,
    retryMinMs: 1000,
    retryMaxMs: 60_000,
    onConnectionTrouble: (reason) => trouble.push(reason),
    random: () => 0.5,
    ...options,
  });
}

function positions(n: number): SampleDraft[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'position' as const,
    t: T0 + i * 100,
    lat: 52.5,
    lon: 13.4,
    fixQuality: 'gps' as const,
  }));
}

/** Lets promise callbacks (replies) run. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('BatchSender', () => {
  it('drains the backlog oldest first while live samples go out beside it', async () => {
    outbox.append(positions(250));
    const s = sender();
    expect(s.start(1000)).toEqual({ backlogFromSeq: 1, backlogThroughSeq: 250 });
    // The backlog starts with one batch in flight.
    expect(channel.sent.map((_, i) => channel.range(i))).toEqual([[1, 100]]);
    outbox.append(positions(3));
    s.notify();
    expect(channel.range(1)).toEqual([251, 253]);
    // Nothing is deleted before its ack.
    expect(outbox.pending).toBe(253);
    channel.ack(0);
    await settle();
    expect(outbox.pending).toBe(153);
    // The window grew to two: both remaining backlog batches are sent.
    expect(channel.sent.slice(2).map((_, i) => channel.range(i + 2))).toEqual([
      [101, 200],
      [201, 250],
    ]);
    channel.ack(1);
    channel.ack(2);
    channel.ack(3);
    await settle();
    expect(outbox.pending).toBe(0);
    expect(s.stats()).toMatchObject({ batchesSent: 4, batchesSettled: 4, samplesStored: 253 });
    expect(s.stats().backlog?.done).toBe(true);
  });

  it('keeps live samples back for sendIntervalMs to send them together, unless a full batch waits', async () => {
    const s = sender({ sendIntervalMs: 1000 });
    s.start(1000);
    outbox.append(positions(2));
    s.notify();
    expect(channel.sent).toHaveLength(1);
    outbox.append(positions(5));
    s.notify();
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.range(1)).toEqual([3, 7]);
    channel.ack(0);
    channel.ack(1);
    await settle();
    outbox.append(positions(100));
    s.notify();
    expect(channel.range(2)).toEqual([8, 107]);
  });

  it('paces the backlog to its samples-per-second ceiling', async () => {
    outbox.append(positions(300));
    const s = sender({ backlogSamplesPerSecond: 200 });
    s.start(1000);
    channel.ack(0);
    await settle();
    // 100 samples at 200/s: the next batch is due half a second after the first.
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.range(1)).toEqual([101, 200]);
  });

  it('keeps the batch on unavailable and shutting-down, retrying with growing back-off', async () => {
    outbox.append(positions(50));
    const s = sender();
    s.start(1000);
    channel.error(0, 'unavailable');
    await settle();
    expect(outbox.pending).toBe(50);
    // Equal jitter at random 0.5: 75% of 1 s, then 75% of 2 s.
    await vi.advanceTimersByTimeAsync(749);
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.range(1)).toEqual([1, 50]);
    channel.error(1, 'shutting-down');
    await settle();
    await vi.advanceTimersByTimeAsync(1499);
    expect(channel.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.range(2)).toEqual([1, 50]);
    channel.ack(2);
    await settle();
    expect(outbox.pending).toBe(0);
    expect(s.stats().errorReplies).toEqual({ unavailable: 1, 'shutting-down': 1 });
  });

  it('waits after rate-limited and sends again', async () => {
    outbox.append(positions(10));
    const s = sender();
    s.start(1000);
    channel.error(0, 'rate-limited');
    await settle();
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(channel.range(1)).toEqual([1, 10]);
    expect(outbox.pending).toBe(10);
  });

  it('halves the batch after batch-too-large and sends the same samples in smaller batches', async () => {
    outbox.append(positions(100));
    const s = sender();
    s.start(1000);
    channel.error(0, 'batch-too-large');
    await settle();
    expect(channel.range(1)).toEqual([1, 50]);
    expect(s.stats().batchSize).toBe(50);
  });

  it('moves a batch the server calls malformed to quarantine and never sends it again', async () => {
    outbox.append(positions(10));
    const s = sender();
    s.start(1000);
    channel.error(0, 'batch-malformed', 'a batch is an object with a "samples" array');
    await settle();
    expect(outbox.pending).toBe(0);
    expect(outbox.quarantined()).toBe(10);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(channel.sent).toHaveLength(1);
  });

  it('deletes rejected samples with their batch, records why, and never retries them', async () => {
    outbox.append(positions(5));
    const s = sender();
    s.start(1000);
    channel.ack(0, {
      rejected: [{ index: 2, seq: 3, field: 't', reason: 'is 900 s ahead of the server clock' }],
    });
    await settle();
    expect(outbox.pending).toBe(0);
    expect(outbox.recentRejections()).toMatchObject([{ seq: 3, field: 't' }]);
    expect(s.stats()).toMatchObject({ rejected: 1, samplesStored: 4 });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(channel.sent).toHaveLength(1);
  });

  it('logs a batch refused wholesale in a few lines, and keeps every rejection', async () => {
    const lines: { msg: string; rejected?: number; fields?: string[] }[] = [];
    const log = createLogger(
      'warn',
      {},
      {
        write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]),
      },
    );
    outbox.append(positions(10));
    const s = sender({ logger: log });
    s.start(1000);
    const refused = Array.from({ length: 8 }, (_, i) => ({
      index: i,
      seq: i + 1,
      field: 't',
      reason: 'is 40 days old; telemetry older than 30 days is not kept',
    }));
    channel.ack(0, { rejected: refused });
    await settle();
    expect(lines.map((l) => l.msg)).toEqual([
      ...Array<string>(3).fill('server rejected a sample for good; not retrying it'),
      'server rejected more samples of the batch for good; not retrying them',
    ]);
    expect(lines[3]).toMatchObject({ rejected: 5, fields: ['t'] });
    expect(
      outbox
        .recentRejections()
        .map((r) => r.seq ?? 0)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.stats()).toMatchObject({ rejected: 8, samplesStored: 2, lastRejection: { seq: 8 } });
  });

  it.each([
    ['a string', 'ok'],
    [
      'an ack for another batch',
      { ok: true, ackSeq: 99, highestStoredSeq: 99, stored: 5, duplicates: 0, rejected: [] },
    ],
    [
      'an ack that settles too few',
      { ok: true, ackSeq: 5, highestStoredSeq: 5, stored: 3, duplicates: 0, rejected: [] },
    ],
    [
      'a rejection outside the batch',
      {
        ok: true,
        ackSeq: 5,
        highestStoredSeq: 5,
        stored: 4,
        duplicates: 0,
        rejected: [{ index: 9, seq: 3, field: 'lat', reason: 'x' }],
      },
    ],
    ['an unknown error shape', { error: { kind: 'oops' } }],
  ])('does not trust %s: keeps the batch and resends it after a back-off', async (_what, reply) => {
    outbox.append(positions(5));
    const s = sender();
    s.start(1000);
    channel.sent[0]?.resolve(reply);
    await settle();
    expect(outbox.pending).toBe(5);
    expect(s.stats().garbageReplies).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(channel.range(1)).toEqual([1, 5]);
  });

  it('asks for a new connection when a reply never comes, keeping the batch', async () => {
    outbox.append(positions(5));
    const s = sender();
    s.start(1000);
    channel.sent[0]?.reject(new Error('operation has timed out'));
    await settle();
    expect(trouble).toEqual(['no reply to a batch: operation has timed out']);
    expect(outbox.pending).toBe(5);
    // The next connection sends it again; the server recognises a replay by seq.
    s.stop();
    s.start(1000);
    expect(channel.range(1)).toEqual([1, 5]);
    channel.ack(1, { duplicates: 5 });
    await settle();
    expect(outbox.pending).toBe(0);
    expect(s.stats().duplicates).toBe(5);
  });

  it('honours an ack that arrives after its connection was replaced', async () => {
    outbox.append(positions(5));
    const s = sender();
    s.start(1000);
    const late = channel.sent[0];
    s.stop();
    late?.resolve({
      ok: true,
      ackSeq: 5,
      highestStoredSeq: 5,
      stored: 5,
      duplicates: 0,
      rejected: [],
    });
    await settle();
    expect(outbox.pending).toBe(0);
  });

  it('renumbers what waits when an ack shows numbers this outbox never assigned', async () => {
    outbox.append(positions(4));
    const s = sender();
    s.start(1000);
    outbox.append(positions(2));
    s.notify();
    // The live batch [5, 6] is in flight; the server says it holds up to 500.
    channel.ack(0, { highestStoredSeq: 500 });
    await settle();
    outbox.append(positions(1));
    s.notify();
    // Nothing new goes out while a batch is still in flight with the old numbers.
    expect(channel.sent).toHaveLength(2);
    channel.ack(1, { duplicates: 2 });
    await settle();
    outbox.append(positions(1));
    s.notify();
    await vi.advanceTimersByTimeAsync(1000);
    // The waiting sample got 501 (backlog of the renewed lanes), the new one 502.
    expect(channel.sent.slice(2).flatMap((b) => b.samples.map((x) => x.seq))).toEqual([501, 502]);
    expect(outbox.lastAssignedSeq).toBe(502);
  });

  it('keeps a batch whose settling the outbox refuses, backs off, and settles it when resent', async () => {
    outbox.append(positions(5));
    const settleForReal = outbox.settle.bind(outbox);
    let failures = 1;
    vi.spyOn(outbox, 'settle').mockImplementation((first, last, rejections) => {
      if (failures-- > 0)
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      return settleForReal(first, last, rejections);
    });
    const s = sender();
    s.start(1000);
    channel.ack(0);
    await settle();
    expect(outbox.pending).toBe(5);
    expect(s.stats()).toMatchObject({ batchesSettled: 0, outboxErrors: 1 });
    await vi.advanceTimersByTimeAsync(749);
    expect(channel.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.range(1)).toEqual([1, 5]);
    channel.ack(1, { duplicates: 5 });
    await settle();
    expect(outbox.pending).toBe(0);
    expect(s.stats()).toMatchObject({ batchesSettled: 1, duplicates: 5 });
  });

  it('backs off when the outbox cannot be read, and sends once it can', async () => {
    outbox.append(positions(5));
    const readForReal = outbox.read.bind(outbox);
    let failures = 2;
    vi.spyOn(outbox, 'read').mockImplementation((after, through, limit) => {
      if (failures-- > 0)
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      return readForReal(after, through, limit);
    });
    const s = sender();
    expect(() => s.start(1000)).not.toThrow();
    expect(channel.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(channel.range(0)).toEqual([1, 5]);
    expect(s.stats().outboxErrors).toBe(2);
  });

  it('waits for replies to batches in flight when draining, and sends nothing new', async () => {
    outbox.append(positions(5));
    const s = sender();
    s.start(1000);
    const drained = s.drain(5000);
    outbox.append(positions(5));
    s.notify();
    expect(channel.sent).toHaveLength(1);
    channel.ack(0);
    await drained;
    expect(outbox.pending).toBe(5);
  });
});
