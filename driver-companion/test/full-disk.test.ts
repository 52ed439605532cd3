import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../src/health/status.js';
import type { OutboxCounters } from '../src/outbox/outbox.js';
import type { SinkStats } from '../src/sampling/sample-sink.js';
import { registerVehicle, startTestServer, storedSamples } from './support/server.js';
import type { TestServer } from './support/server.js';
import { findings, runOnTinyDisk, tinyDiskAvailable } from './support/tiny-disk.js';

/**
 * A companion (re)started on a disk something else filled to the last
 * block: the run in a tmpfs of its own, the real server here.
 */

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'support',
  'full-disk-companion.fixture.ts',
);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<TestServer> {
  const s = await startTestServer();
  cleanups.push(() => s.stop().catch(() => undefined));
  return s;
}

interface Findings {
  startError?: string;
  whileFull: { code: number; outboxProblems: Problem[]; available: boolean };
  openedAfterMs: number;
  outageSamples: number;
  afterOpen: { full: boolean; counters: OutboxCounters };
  after: { code: number; sink: SinkStats };
  journal: { seq: number; t: number }[];
  messages: string[];
}

describe('a companion on a full disk', () => {
  it.skipIf(!tinyDiskAvailable())(
    'starts, keeps its samples in memory, opens the outbox once there is room and delivers everything',
    { timeout: 90_000 },
    async () => {
      const s = await server();
      const v = await registerVehicle(s.server, 'Full disk');
      const run = await runOnTinyDisk(FIXTURE, '2m', [s.url, v.token], 80_000);
      const found = findings<Findings>(run);
      expect(found.startError).toBeUndefined();
      // While full: failing (503), saying why and what is kept.
      expect(found.whileFull.code).toBe(503);
      expect(found.whileFull.available).toBe(false);
      expect(found.whileFull.outboxProblems.map((p) => p.message).join('\n')).toMatch(
        /cannot be opened.*in memory/,
      );
      expect(found.openedAfterMs).toBeLessThan(15_000);
      expect(found.after.sink).toMatchObject({
        staged: 0,
        droppedWhileFailing: 0,
        lastError: null,
      });
      // Everything ever committed, the outage's 300 and what waited in memory, stored once.
      const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
      expect(found.journal.length).toBeGreaterThan(300 + 20);
      expect(stored.map((r) => [r.seq, r.t])).toEqual(found.journal.map((r) => [r.seq, r.t]));
    },
  );

  it.skipIf(!tinyDiskAvailable())(
    'holds an outbox that opens late to its bound from the start: full of events, it refuses what waited of positions',
    { timeout: 90_000 },
    async () => {
      const s = await server();
      const v = await registerVehicle(s.server, 'Full disk, full outbox');
      const run = await runOnTinyDisk(FIXTURE, '2m', [s.url, v.token, 'events'], 80_000);
      const found = findings<Findings>(run);
      expect(found.startError).toBeUndefined();
      // What waited in memory met an outbox whose events fill the positions' share: refused.
      expect(found.afterOpen.full).toBe(true);
      expect(found.afterOpen.counters.refusedWhileFull).toBeGreaterThanOrEqual(20);
      // Everything it did commit, stored once.
      const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
      expect(stored.map((r) => [r.seq, r.t])).toEqual(found.journal.map((r) => [r.seq, r.t]));
    },
  );
});
