import { describe, expect, it } from 'vitest';
import type { TelemetrySample } from '@fleetline/protocol';
import { LiveState } from '../live/live-state.js';
import { createLogger } from '../logger.js';
import { WriteBatcher } from './write-batcher.js';
import type { WriteBatcherDeps } from './write-batcher.js';

// The database is faked here on purpose: this tests what the batcher does
// around a failing or slow commit. Real commits are covered by server/test.
function setup(runSteps: () => Promise<unknown>) {
  const live = new LiveState();
  live.upsertRecords([
    {
      id: 1,
      name: 'V1',
      plate: null,
      vin: null,
      fleetIds: [1],
      overspeedLimitKmh: 90,
      deviceId: 1,
      driver: null,
    },
  ]);
  const notified: number[][] = [];
  const deps = {
    db: { runSteps },
    telemetry: {
      insertStatements: () => ({ statements: [], count: 0 }),
      insertedKeys: () => new Set(),
    },
    events: { insertStatements: () => [], stored: () => [] },
    vehicleStates: { upsertStatements: () => [] },
    live,
    listener: {
      vehiclesChanged: (ids: readonly number[]) => notified.push([...ids]),
      eventsStored: () => {},
    },
    clock: { now: () => 1000 },
    logger: createLogger('silent'),
  } as unknown as WriteBatcherDeps;
  const batcher = new WriteBatcher(deps, {
    flushMs: 1,
    maxPendingSamples: 3,
    overspeedMinMs: 0,
    offlineAfterMs: 60_000,
  });
  return { batcher, live, notified };
}
const fix = (seq: number): TelemetrySample => ({
  kind: 'position',
  seq,
  t: 1000,
  lat: 1,
  lon: 1,
  fixQuality: 'gps',
});

describe('WriteBatcher', () => {
  it('fails every batch of a tick whose commit fails, and leaves the live state and consoles untouched', async () => {
    const { batcher, live, notified } = setup(() => Promise.reject(new Error('disk I/O error')));
    const results = await Promise.allSettled([
      batcher.submit({ deviceId: 1, vehicleId: 1 }, [fix(1)]),
      batcher.submit({ deviceId: 1, vehicleId: 1 }, [fix(2)]),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      // Clients get a retryable error without the driver's text.
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        slug: 'unavailable',
        message: 'the samples could not be stored; retry later',
      });
    }
    expect(live.state(1)?.position).toBeNull();
    expect(live.rev).toBe(0);
    expect(notified).toEqual([]);
    expect(batcher.highestStoredSeq(1)).toBe(0);
  });

  it('refuses work beyond its pending bound instead of growing without limit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { batcher } = setup(() => gate.then(() => Promise.reject(new Error('slow then failed'))));
    const first = batcher.submit({ deviceId: 1, vehicleId: 1 }, [fix(1), fix(2)]);
    await expect(
      batcher.submit({ deviceId: 1, vehicleId: 1 }, [fix(3), fix(4)]),
    ).rejects.toMatchObject({ slug: 'unavailable' });
    release();
    await expect(first).rejects.toMatchObject({ slug: 'unavailable' });
  });

  it('refuses new work once draining', async () => {
    const { batcher } = setup(() => Promise.resolve({ committed: true, rows: [[], [], []] }));
    await batcher.drain();
    await expect(batcher.submit({ deviceId: 1, vehicleId: 1 }, [fix(1)])).rejects.toMatchObject({
      slug: 'shutting-down',
    });
  });
});
