import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../outbox/outbox.js';
import type { SampleDraft } from '../outbox/samples.js';
import { createLogger } from '../util/logger.js';
import { findings, runOnTinyDisk, tinyDiskAvailable } from '../../test/support/tiny-disk.js';
import { SampleSink } from './sample-sink.js';
import type { SinkStats } from './sample-sink.js';

const logger = createLogger('silent');
const dirs: string[] = [];
const stops: (() => void)[] = [];

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function openOutbox(): Outbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-sink-'));
  dirs.push(dir);
  const outbox = Outbox.open({
    file: path.join(dir, 'outbox.sqlite'),
    maxBytes: 64 * 1024 * 1024,
    synchronous: 'NORMAL',
    logger,
  });
  stops.push(() => outbox.close());
  return outbox;
}

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);
const position = (t: number): SampleDraft => ({
  kind: 'position',
  t,
  lat: 52.5,
  lon: 13.4,
  fixQuality: 'gps',
});
const reading = (t: number, pid: number): SampleDraft => ({
  kind: 'reading',
  t,
  pid,
  part: 0,
  value: 42,
  unit: 'km/h',
});
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SampleSink', () => {
  it('commits each read in one transaction at the end of the task that produced it, with no timer', async () => {
    const outbox = openOutbox();
    const sink = new SampleSink({ outbox, logger });
    sink.start();
    stops.push(() => sink.stop());
    // One packed OBD reply: three readings pushed in one task.
    sink.push(reading(T0, 0x0d));
    sink.push(reading(T0, 0x0c));
    sink.push(reading(T0, 0x11));
    // Not yet: the rest of the read may still add samples (derived events) to the same transaction.
    expect(outbox.pending).toBe(0);
    await Promise.resolve();
    expect(outbox.pending).toBe(3);
    expect(sink.stats()).toMatchObject({ committed: 3, commits: 1, staged: 0 });
    // The next read, in its own task, is its own commit, numbered after the first.
    sink.push(position(T0 + 200));
    await turn();
    expect(sink.stats()).toMatchObject({ committed: 4, commits: 2 });
    expect(outbox.read(0, null, 10).map((r) => [r.seq, r.sample.kind])).toEqual([
      [1, 'reading'],
      [2, 'reading'],
      [3, 'reading'],
      [4, 'position'],
    ]);
  });

  it('refuses a sample that breaks the protocol and still commits the rest of its read', async () => {
    const outbox = openOutbox();
    const sink = new SampleSink({ outbox, logger });
    expect(sink.push({ kind: 'position', t: T0, lat: 123, lon: 13.4, fixQuality: 'gps' })).toBe(
      false,
    );
    expect(sink.push(position(T0 + 100))).toBe(true);
    await turn();
    expect(sink.stats()).toMatchObject({ invalid: 1, accepted: 1, committed: 1 });
    expect(outbox.read(0, null, 10).map((r) => r.sample.t)).toEqual([T0 + 100]);
  });

  it('keeps samples the disk refused and commits them, in order, without a new read to prompt it', async () => {
    const real = openOutbox();
    let failing = true;
    // Only append is used by the sink; this one fails like a disk that refuses writes.
    const flaky = {
      append: (drafts: readonly SampleDraft[]) => {
        if (failing) throw new Error('disk I/O error');
        return real.append(drafts);
      },
    } as unknown as Outbox;
    const sink = new SampleSink({ outbox: flaky, logger });
    stops.push(() => sink.stop());
    sink.push(position(T0));
    await turn();
    sink.push(position(T0 + 100));
    await turn();
    expect(sink.stats()).toMatchObject({ staged: 2, committed: 0, lastError: 'disk I/O error' });
    failing = false;
    // No further push: the retry timer alone must commit them.
    const deadline = Date.now() + 3000;
    while (sink.stats().staged > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sink.stats()).toMatchObject({ staged: 0, committed: 2, lastError: null });
    expect(real.read(0, null, 10).map((r) => r.sample.t)).toEqual([T0, T0 + 100]);
  });

  it.each([
    { mode: 'a commit per read', commitIntervalMs: 0 },
    { mode: 'group commits every 50 ms', commitIntervalMs: 50 },
  ])(
    'retries a refused commit once a second, not at every read or interval, and commits as before once it works ($mode)',
    async ({ commitIntervalMs }) => {
      vi.useFakeTimers();
      try {
        const real = openOutbox();
        let failing = true;
        let attempts = 0;
        // Only append is used by the sink; this one fails like a busy or full disk.
        const flaky = {
          append: (drafts: readonly SampleDraft[]) => {
            attempts += 1;
            if (failing) throw new Error('database is locked');
            return real.append(drafts);
          },
        } as unknown as Outbox;
        const sink = new SampleSink({ outbox: flaky, logger, commitIntervalMs });
        sink.start();
        stops.push(() => sink.stop());
        // Ten seconds of a 10 Hz receiver while the disk refuses every commit.
        for (let i = 0; i < 100; i += 1) {
          sink.push(position(T0 + i * 100));
          // The end of the read's task (its commit, per read), then the time to the next read.
          await Promise.resolve();
          await vi.advanceTimersByTimeAsync(100);
        }
        // The first attempt, then about one a second: not a hundred, nor two hundred.
        expect(attempts).toBeGreaterThanOrEqual(9);
        expect(attempts).toBeLessThanOrEqual(12);
        expect(sink.stats()).toMatchObject({ staged: 100, committed: 0, commits: 0 });

        failing = false;
        await vi.advanceTimersByTimeAsync(1000);
        // Everything staged, in one commit, in the order read.
        expect(sink.stats()).toMatchObject({
          staged: 0,
          committed: 100,
          commits: 1,
          lastError: null,
        });
        expect(real.read(0, null, 1000).map((r) => r.sample.t)).toEqual(
          Array.from({ length: 100 }, (_, i) => T0 + i * 100),
        );
        // Committing normally again: a read is committed at the end of its task, or at the next interval.
        sink.push(position(T0 + 10_000));
        await Promise.resolve();
        await vi.advanceTimersByTimeAsync(commitIntervalMs);
        expect(real.pending).toBe(101);
        expect(sink.stats().commits).toBe(2);
      } finally {
        vi.useRealTimers();
      }
    },
  );

  it('keeps a commit when what it tells afterwards fails', async () => {
    const outbox = openOutbox();
    const sink = new SampleSink({
      outbox,
      logger,
      onCommitted: () => {
        throw new Error('the uplink could not read the outbox');
      },
    });
    sink.push(position(T0));
    expect(() => sink.flush()).not.toThrow();
    expect(outbox.pending).toBe(1);
    expect(sink.stats()).toMatchObject({ committed: 1, staged: 0, lastError: null });
    sink.push(position(T0 + 100));
    await turn();
    expect(outbox.read(0, null, 10).map((r) => r.sample.t)).toEqual([T0, T0 + 100]);
  });

  it('commits in groups on a timer when commitIntervalMs is set (storage too slow for a commit per read)', async () => {
    const outbox = openOutbox();
    const sink = new SampleSink({ outbox, logger, commitIntervalMs: 200 });
    sink.start();
    stops.push(() => sink.stop());
    sink.push(position(T0));
    await turn();
    sink.push(position(T0 + 100));
    await turn();
    expect(outbox.pending).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.stats()).toMatchObject({ committed: 2, commits: 1 });
  });

  it.skipIf(!tinyDiskAvailable())(
    'stores every read once when the disk fills up under the disk-bound policy (a 2 MB tmpfs)',
    { timeout: 60_000 },
    async () => {
      const fixture = path.join(
        path.dirname(fileURLToPath(import.meta.url)),
        'full-disk-sink.fixture.ts',
      );
      // The bound is the disk's size: the policy runs when there is no room left for its work.
      const run = await runOnTinyDisk(fixture, '2m', [String(2 * 1024 * 1024), '30000']);
      const found = findings<{
        rows: number;
        duplicated: number;
        sink: SinkStats;
        messages: Record<string, number>;
      }>(run);
      expect(found.duplicated).toBe(0);
      // What the outbox holds is exactly what the sink saw committed.
      expect(found.rows).toBe(found.sink.committed);
      // It got that far: the policy failed after a commit, and then commits failed too.
      expect(found.messages['outbox disk-bound policy failed after a commit']).toBeGreaterThan(0);
      expect(found.sink.lastError).toMatch(/full/);
    },
  );

  it(
    'loses no read to SIGKILL once the task that handled it has ended',
    { timeout: 20_000 },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-sink-kill-'));
      dirs.push(dir);
      const file = path.join(dir, 'outbox.sqlite');
      const script = path.join(
        path.dirname(fileURLToPath(import.meta.url)),
        'sink-writer.fixture.ts',
      );
      const child = spawn(
        process.execPath,
        ['--conditions=fleetline-source', '--import', 'tsx', script, file],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let reported = 0;
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('close', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reads reported: ${stderr}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          const lines = chunk.toString().trim().split('\n');
          reported = Math.max(reported, Number(lines.at(-1)));
          // Past the first few hundred reads, kill it wherever it is.
          if (reported >= 300) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      expect(await exited).toBe('SIGKILL');
      const outbox = Outbox.open({ file, maxBytes: 64 * 1024 * 1024, synchronous: 'FULL', logger });
      stops.push(() => outbox.close());
      const rows = outbox.read(0, null, 1_000_000);
      // Every reported read is there whole (its position and its status), numbered without a gap.
      expect(rows.length).toBeGreaterThanOrEqual(reported * 2);
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
      const positions = rows.filter((r) => r.sample.kind === 'position');
      expect(positions.slice(0, reported).map((r) => r.sample.t)).toEqual(
        Array.from({ length: reported }, (_, i) => Date.UTC(2026, 10, 21) + (i + 1) * 100),
      );
      expect(rows.length % 2).toBe(0);
    },
  );
});
