import { describe, expect, it } from 'vitest';
import type { FleetEvent, TelemetrySample } from '@fleetline/protocol';
import { LiveState } from '../live/live-state.js';
import { emptyVehicleState } from '../live/vehicle-state.js';
import { createLogger } from '../logger.js';
import { WriteBatcher } from './write-batcher.js';
import type { DeviceRef, WriteBatcherDeps, WriteResult } from './write-batcher.js';

// The database is faked here on purpose: this tests what the batcher does
// around a failing or slow commit. Real commits are covered by server/test.
function setup(
  runSteps: (steps: { statements: { bindings: unknown[] }[] }[]) => Promise<unknown>,
  /** What the fake database holds, for a batcher that reads it back. */
  stored: {
    states?: (ids: number[]) => Map<number, unknown>;
    eventsAfter?: (id: number) => unknown[];
  } = {},
) {
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
  const pushed: FleetEvent[] = [];
  type FakeSteps = { statements: { sql?: string; bindings: unknown[] }[] }[];
  // Reads the batcher makes to settle a commit in doubt, answered from `stored`.
  const answerReads = (steps: FakeSteps) => {
    const states = steps[0]?.statements[0];
    const events = steps[1]?.statements[0];
    if (states?.sql !== 'select-states' && events?.sql !== 'events-after') return undefined;
    const ids = (states?.bindings ?? []) as number[];
    return Promise.resolve({
      committed: true,
      rows: [
        states ? [...(stored.states?.(ids) ?? new Map()).entries()] : [],
        events ? (stored.eventsAfter?.(events.bindings[0] as number) ?? []) : [],
      ],
    });
  };
  const deps = {
    db: {
      runSteps: (steps: FakeSteps) => answerReads(steps) ?? runSteps(steps),
    },
    telemetry: {
      // One statement carrying the tick's sequence numbers, for a fake database to look at.
      insertStatements: (rows: { positions: { sample: TelemetrySample }[] }) => ({
        statements: [{ sql: 'insert', bindings: rows.positions.map((r) => r.sample.seq) }],
        count: rows.positions.length,
      }),
      insertedKeys: () => new Set(),
      storedKeys: () => Promise.resolve(new Set()),
    },
    events: {
      // One statement naming the events stored, for a fake database to look at.
      insertStatements: (events: { type: string }[]) =>
        events.length > 0
          ? [{ sql: 'events', bindings: events.map((e) => `event:${e.type}`) }]
          : [],
      stored: () => [],
      afterStatement: (after: number) => ({ sql: 'events-after', bindings: [after] }),
      fromRows: (rows: unknown[]) => rows,
    },
    vehicles: { existingStatement: () => ({ sql: 'exists', bindings: [] }) },
    vehicleStates: {
      // One statement carrying the vehicles whose state is written, for a fake database to look at.
      upsertStatements: (states: { vehicleId: number }[]) =>
        states.length > 0
          ? [{ sql: 'upsert', bindings: states.map((st) => `vehicle:${st.vehicleId}`) }]
          : [],
      selectStatement: (ids: number[]) => ({ sql: 'select-states', bindings: ids }),
      statesFromRows: (rows: [number, unknown][]) => new Map(rows),
    },
    live,
    listener: {
      vehiclesChanged: (ids: readonly number[]) => notified.push([...ids]),
      eventsStored: (events: readonly FleetEvent[]) => pushed.push(...events),
    },
    clock: { now: () => 1000 },
    logger: createLogger('silent'),
  } as unknown as WriteBatcherDeps;
  const batcher = new WriteBatcher(deps, {
    flushMs: 1,
    maxPendingSamples: 8,
    overspeedMinMs: 0,
    offlineAfterMs: 60_000,
  });
  return { batcher, live, notified, pushed };
}
/** A submission as a promise, for tests: resolves once committed, rejects when refused. */
const submit = (batcher: WriteBatcher, device: DeviceRef, samples: TelemetrySample[]) =>
  new Promise<WriteResult>((resolve, reject) =>
    batcher.enqueue(device, samples, (err, result) =>
      err ? reject(err) : resolve(result as WriteResult),
    ),
  );
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
      submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)]),
      submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(2)]),
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

  it('after a commit in doubt, reloads the vehicles it wrote and pushes the events it stored before planning again', async () => {
    // The first transaction's connection dies: whether its COMMIT landed is
    // unknown. (It did: the database holds its state and event.)
    let calls = 0;
    const ignitionOn: FleetEvent = {
      id: 5,
      vehicleId: 1,
      type: 'ignition_on',
      t: 900,
      recordedAt: 1000,
      late: false,
      data: {},
    };
    const asStored = {
      ...emptyVehicleState(),
      online: true,
      lastSeenAt: 2000,
      position: { t: 2000, lat: 2, lon: 2, fixQuality: 'gps' },
    };
    const eventsAsked: number[] = [];
    const { batcher, live, notified, pushed } = setup(
      () =>
        ++calls === 1
          ? Promise.reject(new Error('Connection terminated unexpectedly'))
          : Promise.resolve({ committed: true, rows: [[], [], []] }),
      {
        states: (ids) => new Map(ids.map((id) => [id, asStored])),
        eventsAfter: (after) => {
          eventsAsked.push(after);
          return after < 5 ? [ignitionOn] : [];
        },
      },
    );
    batcher.noteLatestEventId(4);
    await expect(submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)])).rejects.toMatchObject({
      slug: 'unavailable',
    });
    expect(pushed).toEqual([]);
    expect(live.state(1)?.position).toBeNull();

    await submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)]);
    expect(pushed).toEqual([ignitionOn]);
    expect(eventsAsked).toEqual([4]);
    // The stored state, not the one the live picture had before the tick in doubt.
    expect(live.state(1)?.position?.t).toBe(2000);
    expect(notified.flat()).toContain(1);
    // Settled once: a later tick reads nothing back.
    await submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(2)]);
    expect(eventsAsked).toEqual([4]);
    expect(pushed).toEqual([ignitionOn]);
  });

  it('keeps a commit in doubt until it could be settled, and pushes every event it stored, page after page', async () => {
    let calls = 0;
    let readsFail = true;
    const event = (id: number): FleetEvent => ({
      id,
      vehicleId: 1,
      type: 'overspeed',
      t: 900,
      recordedAt: 1000,
      late: false,
      data: { speedKmh: 120, limitKmh: 90, lat: 1, lon: 1 },
    });
    const { batcher, pushed } = setup(
      () =>
        ++calls === 1
          ? Promise.reject(new Error('Connection terminated unexpectedly'))
          : Promise.resolve({ committed: true, rows: [[], [], []] }),
      {
        states: () => {
          if (readsFail) throw new Error('Connection terminated unexpectedly');
          return new Map();
        },
        // 1,001 events stored by the tick in doubt: more than one page.
        eventsAfter: (after) =>
          Array.from({ length: Math.max(0, Math.min(1000, 1005 - after)) }, (_, i) =>
            event(after + 1 + i),
          ),
      },
    );
    batcher.noteLatestEventId(4);
    await expect(submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)])).rejects.toMatchObject({
      slug: 'unavailable',
    });
    // The database is still away when the next tick tries to settle it: that tick fails too.
    await expect(submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)])).rejects.toMatchObject({
      slug: 'unavailable',
    });
    expect(pushed).toEqual([]);
    readsFail = false;
    await submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)]);
    expect(pushed.map((e) => e.id)).toEqual(Array.from({ length: 1001 }, (_, i) => 5 + i));
  });

  it('refuses work beyond its pending bound instead of growing without limit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { batcher } = setup(() => gate.then(() => Promise.reject(new Error('slow then failed'))));
    const first = submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1), fix(2)]);
    await expect(
      submit(batcher, { deviceId: 1, vehicleId: 1 }, [
        fix(3),
        fix(4),
        fix(5),
        fix(6),
        fix(7),
        fix(8),
        fix(9),
      ]),
    ).rejects.toMatchObject({ slug: 'unavailable' });
    release();
    await expect(first).rejects.toMatchObject({ slug: 'unavailable' });
  });

  it('answers every submission of a tick even when one callback throws', async () => {
    const { batcher } = setup(() => Promise.resolve({ committed: true, rows: [[], [], []] }));
    const answered: number[] = [];
    batcher.enqueue({ deviceId: 1, vehicleId: 1 }, [fix(1)], () => {
      answered.push(1);
      throw new Error('the socket went away');
    });
    const second = submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(2)]);
    await expect(second).resolves.toMatchObject({ stored: 1, highestStoredSeq: 2 });
    expect(answered).toEqual([1]);
  });

  it('refuses new work once draining', async () => {
    const { batcher } = setup(() => Promise.resolve({ committed: true, rows: [[], [], []] }));
    await batcher.drain();
    await expect(submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)])).rejects.toMatchObject({
      slug: 'shutting-down',
    });
  });

  describe('a tick the database refuses for its data', () => {
    const POISON = 2;
    const dataError = () =>
      Object.assign(new Error('CHECK constraint failed'), { code: 'SQLITE_CONSTRAINT_CHECK' });
    const seqsOf = (steps: { statements: { bindings: unknown[] }[] }[]) =>
      steps[0]!.statements.flatMap((st) => st.bindings);
    const committed = { committed: true, rows: [[], [], []] };

    it('refuses only the sample that cannot be stored and stores the rest of the tick', async () => {
      const ticks: unknown[][] = [];
      const { batcher, live, notified } = setup((steps) => {
        const seqs = seqsOf(steps);
        ticks.push(seqs);
        return seqs.includes(POISON) ? Promise.reject(dataError()) : Promise.resolve(committed);
      });
      const [poisoned, clean] = await Promise.all([
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1), fix(POISON), fix(3)]),
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(4)]),
      ]);
      expect(poisoned).toEqual({
        stored: 2,
        duplicates: 0,
        refused: [POISON],
        highestStoredSeq: 3,
      });
      expect(clean).toEqual({ stored: 1, duplicates: 0, refused: [], highestStoredSeq: 4 });
      // The whole tick, then each submission, then the refused submission's
      // samples one by one, the refused one again without its events, then
      // alone.
      expect(ticks).toEqual([[1, 2, 3, 4], [1, 2, 3], [1], [2], [2], [2], [3], [4]]);
      expect(live.state(1)?.position?.t).toBe(1000);
      expect(notified.flat()).toContain(1);
      expect(batcher.storedSamples).toBe(3);
    });

    it('stores a sample whose derived rows the database refuses, without them, rather than refusing it', async () => {
      // The vehicle-state step fails whenever it is written with sample 2
      // (say, an events or states table out of step): the sample is fine.
      const { batcher, live } = setup((steps) => {
        const derivesState = steps[2]!.statements.length > 0;
        return seqsOf(steps).includes(POISON) && derivesState
          ? Promise.reject(dataError())
          : Promise.resolve(committed);
      });
      batcher.noteDevice(1, 0);
      const [result, after] = await Promise.all([
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1), fix(POISON), fix(3)]),
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(4)]),
      ]);
      expect(result).toEqual({ stored: 3, duplicates: 0, refused: [], highestStoredSeq: 3 });
      expect(after).toEqual({ stored: 1, duplicates: 0, refused: [], highestStoredSeq: 4 });
      expect(batcher.storedSamples).toBe(4);
      // The live state still follows the samples whose derived rows were stored.
      expect(live.state(1)?.position?.t).toBe(1000);
      // A replay of the sample is known as stored, not stored again.
      const replay = await submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(POISON)]);
      expect(replay).toMatchObject({ stored: 0, duplicates: 1, refused: [] });
    });

    it('fails what is left, retryably, when the database becomes unavailable while isolating', async () => {
      let calls = 0;
      const { batcher } = setup(() => {
        calls++;
        if (calls === 1) return Promise.reject(dataError());
        if (calls === 2) return Promise.resolve(committed);
        return Promise.reject(new Error('connection terminated'));
      });
      const results = await Promise.allSettled([
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(1)]),
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(POISON)]),
        submit(batcher, { deviceId: 1, vehicleId: 1 }, [fix(3)]),
      ]);
      expect(results[0]).toMatchObject({ status: 'fulfilled', value: { stored: 1 } });
      for (const r of results.slice(1))
        expect(r).toMatchObject({ status: 'rejected', reason: { slug: 'unavailable' } });
      // Nothing is tried after the database went away.
      expect(calls).toBe(3);
    });
  });

  it('a sweep whose events the database refuses still takes its vehicles offline, and keeps them', async () => {
    const refusesEvents = (steps: { statements: { bindings: unknown[] }[] }[]) =>
      steps.some((step) =>
        step.statements.some((st) => st.bindings.some((b) => String(b).startsWith('event:'))),
      );
    const { batcher, live, notified } = setup((steps) =>
      refusesEvents(steps)
        ? Promise.reject(
            Object.assign(new Error('UNIQUE constraint failed: events.id'), {
              code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
            }),
          )
        : Promise.resolve({ committed: true, rows: [[], [], []] }),
    );
    Object.assign(live.state(1)!, { online: true, lastSeenAt: -100_000 });
    batcher.requestSweep();
    await batcher.drain();
    expect(live.has(1)).toBe(true);
    expect(live.state(1)?.online).toBe(false);
    expect(notified.flat()).toContain(1);
  });

  it('a sample whose events the database refuses moves the live state all the same', async () => {
    const { batcher, live } = setup((steps) =>
      steps[1]!.statements.length > 0
        ? Promise.reject(
            Object.assign(new Error('UNIQUE constraint failed: events.id'), {
              code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
            }),
          )
        : Promise.resolve({ committed: true, rows: [[], [], []] }),
    );
    // The first report of an offline vehicle raises device_online, which is refused.
    const moved: TelemetrySample = {
      kind: 'position',
      seq: 1,
      t: 5000,
      lat: 3,
      lon: 1,
      fixQuality: 'gps',
    };
    const result = await submit(batcher, { deviceId: 1, vehicleId: 1 }, [moved]);
    expect(result).toMatchObject({ stored: 1, refused: [] });
    expect(live.state(1)).toMatchObject({ online: true, position: { t: 5000, lat: 3 } });
  });

  it('a sweep refused for one vehicle takes the others offline, drops that one, and does not spin', async () => {
    const calls: unknown[][] = [];
    const { batcher, live } = setup((steps) => {
      const written = steps.flatMap((step) => step.statements.flatMap((st) => st.bindings));
      calls.push(written);
      return written.includes('vehicle:1')
        ? Promise.reject(
            Object.assign(new Error('FOREIGN KEY constraint failed'), {
              code: 'SQLITE_CONSTRAINT_FOREIGNKEY',
            }),
          )
        : Promise.resolve({ committed: true, rows: [[], [], []] });
    });
    const record = (id: number) => ({
      id,
      name: `V${id}`,
      plate: null,
      vin: null,
      fleetIds: [1],
      overspeedLimitKmh: 90,
      deviceId: id,
      driver: null,
    });
    // Both online, last heard long ago (the clock says 1000 ms; offline after 60 s).
    live.upsertRecords([record(2)]);
    for (const id of [1, 2]) {
      const state = live.state(id)!;
      Object.assign(state, { online: true, lastSeenAt: -100_000 });
    }
    batcher.requestSweep();
    await batcher.drain();
    expect(live.has(1)).toBe(false);
    expect(live.state(2)?.online).toBe(false);
    // The whole sweep, then one vehicle at a time (the refused one once more
    // without its event); nothing retried in a loop.
    expect(calls.length).toBeLessThanOrEqual(5);
  });
});
