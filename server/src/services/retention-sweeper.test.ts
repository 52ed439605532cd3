import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { RetentionRepository, SampleTable } from '../repositories/retention.js';
import { RetentionSweeper } from './retention-sweeper.js';

const DAY = 86_400_000;

/**
 * A stand-in for the repository: rows aged out per table, deleted a chunk at
 * a time, each delete taking a turn of the event loop (as a query would).
 * It records the order of the calls. The SQL itself is tested against both
 * databases in server/test/retention.test.ts.
 */
function fakeRepository(aged: Partial<Record<SampleTable | 'events', number>>, vehicles = 3) {
  const left = { ...aged };
  const calls: string[] = [];
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const take = (table: SampleTable | 'events', limit: number) => {
    const n = Math.min(limit, left[table] ?? 0);
    left[table] = (left[table] ?? 0) - n;
    return n;
  };
  const repo = {
    highestVehicleId: async () => {
      await tick();
      return vehicles;
    },
    deleteSamples: async (table: SampleTable, ids: number[], _cutoff: number, limit: number) => {
      calls.push(`${table} ${ids.join(',')}`);
      await tick();
      return take(table, limit);
    },
    deleteEvents: async (_cutoff: number, limit: number) => {
      calls.push('events');
      await tick();
      return take('events', limit);
    },
    countSamples: async (table: SampleTable) => Promise.resolve(left[table] ?? 0),
    countEvents: async () => Promise.resolve(left.events ?? 0),
  };
  return { repo: repo as unknown as RetentionRepository, calls, left };
}

const silent = createLogger('silent');

describe('RetentionSweeper', () => {
  it('runs one sweep at a time: asked again while it runs, it hands back the running one', async () => {
    const { repo, calls } = fakeRepository({ positions: 7, events: 2 }, 1);
    const sweeper = new RetentionSweeper(
      repo,
      { telemetryMs: 30 * DAY, eventsMs: 90 * DAY },
      silent,
      {
        chunkRows: 2,
      },
    );
    const first = sweeper.sweep(Date.now());
    const second = sweeper.sweep(Date.now());
    expect(second).toBe(first);
    expect(await first).toMatchObject({ positions: 7, events: 2 });
    // Seven rows at two a statement: four deletes, not eight.
    expect(calls.filter((c) => c.startsWith('positions'))).toHaveLength(4);
    // Once it is done, a new sweep starts.
    const third = sweeper.sweep(Date.now());
    expect(third).not.toBe(first);
    expect(await third).toMatchObject({ positions: 0, events: 0 });
  });

  it('sweeps fleet events before it walks the vehicles, and reports in table order', async () => {
    const { repo, calls } = fakeRepository({ positions: 1, driving_events: 1, events: 1 }, 2);
    const sweeper = new RetentionSweeper(
      repo,
      { telemetryMs: 30 * DAY, eventsMs: 90 * DAY },
      silent,
    );
    const report = await sweeper.sweep(Date.now());
    expect(calls[0]).toBe('events');
    expect(Object.keys(report)).toEqual([
      'positions',
      'readings',
      'dtc_reports',
      'device_statuses',
      'driving_events',
      'events',
    ]);
  });

  it('stops between chunks once stopped, leaving the rest for the next start', async () => {
    const { repo, left } = fakeRepository({ positions: 100 }, 5);
    const sweeper = new RetentionSweeper(repo, { telemetryMs: 30 * DAY, eventsMs: null }, silent, {
      chunkRows: 10,
      vehiclesPerChunk: 1,
    });
    const sweep = sweeper.sweep(Date.now());
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    sweeper.stop();
    const report = await sweep;
    expect(report.positions).toBeGreaterThan(0);
    expect(report.positions).toBeLessThan(100);
    expect(left.positions).toBe(100 - report.positions!);
  });

  it('only counts in a dry run', async () => {
    const { repo, left } = fakeRepository({ positions: 5, events: 3 }, 1);
    const sweeper = new RetentionSweeper(
      repo,
      { telemetryMs: 30 * DAY, eventsMs: 90 * DAY },
      silent,
    );
    expect(await sweeper.sweep(Date.now(), { dryRun: true })).toMatchObject({
      positions: 5,
      events: 3,
    });
    expect(left).toMatchObject({ positions: 5, events: 3 });
  });
});
