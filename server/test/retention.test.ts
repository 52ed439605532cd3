import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import type { BatchReply } from '@fleetline/protocol';
import { RetentionRepository } from '../src/repositories/retention.js';
import { RetentionSweeper } from '../src/services/retention-sweeper.js';
import { createLogger } from '../src/logger.js';
import {
  closeClients,
  connectDevice,
  databaseTargets,
  position,
  seed,
  sendBatch,
  startServer,
  testConfig,
} from './harness.js';
import type { RunningServer, Seed, TestDatabase } from './harness.js';
import { envFor, runCli } from './process.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';

const DAY = 86_400_000;

/** Rows of every history table for one vehicle, `ageDays` old, with sequence numbers from `seq`. */
async function insertHistory(
  knex: Knex,
  vehicle: { id: number; deviceId: number },
  ageDays: number,
  seq: number,
  now: number,
) {
  const t = now - ageDays * DAY;
  const sample = { device_id: vehicle.deviceId, seq, vehicle_id: vehicle.id, t, received_at: t };
  await knex('positions').insert({ ...sample, lat: 59.3, lon: 18.1, fix_quality: 'gps' });
  await knex('readings').insert({ ...sample, pid: 12, part: 0, value: 800, unit: 'rpm' });
  await knex('dtc_reports').insert({ ...sample, dtc_kind: 'stored', codes: '["P0300"]' });
  await knex('device_statuses').insert({ ...sample, battery_v: 12.6, ignition: true });
  await knex('driving_events').insert({ ...sample, event: 'trip_start' });
  await knex('events').insert({
    vehicle_id: vehicle.id,
    type: 'ignition_on',
    t,
    recorded_at: t,
    late: false,
    data: '{}',
  });
}

const TABLES = [
  'positions',
  'readings',
  'dtc_reports',
  'device_statuses',
  'driving_events',
  'events',
] as const;

describe.each(databaseTargets())('history retention on $name', (target) => {
  let db: TestDatabase;
  let running: RunningServer;
  let s: Seed;
  const now = Date.now();

  beforeAll(async () => {
    db = await target.create();
    running = await startServer(
      testConfig(db.config, { retention: { telemetryMs: 30 * DAY, eventsMs: 90 * DAY } }),
    );
    s = await seed(running.server, 2);
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await running?.close();
    await db?.drop();
  });

  const knex = () => running.server.db.knex;
  const agesIn = async (table: (typeof TABLES)[number], vehicleId: number) =>
    (await knex()(table).select('t').where({ vehicle_id: vehicleId }).orderBy('t'))
      .map((r: { t: number | string }) => Math.round((now - Number(r.t)) / DAY))
      .reverse();

  it('deletes telemetry past its retention and events past theirs, and keeps the rest', async () => {
    const [a, b] = s.vehiclesA;
    const c = s.vehiclesB[0]!;
    let seq = 1_000_000;
    for (const vehicle of [a!, b!, c])
      for (const age of [1, 29, 31, 89, 91, 400])
        await insertHistory(knex(), vehicle, age, seq++, now);

    const report = await running.server.sweepRetention();

    for (const vehicle of [a!, b!, c]) {
      for (const table of ['positions', 'readings', 'dtc_reports', 'device_statuses'] as const)
        expect(await agesIn(table, vehicle.id)).toEqual([1, 29]);
      for (const table of ['driving_events', 'events'] as const)
        expect(await agesIn(table, vehicle.id)).toEqual([1, 29, 31, 89]);
    }
    expect(report).toEqual({
      positions: 12,
      readings: 12,
      dtc_reports: 12,
      device_statuses: 12,
      driving_events: 6,
      events: 6,
    });
    // Nothing more to do the second time.
    expect(Object.values(await running.server.sweepRetention()).every((n) => n === 0)).toBe(true);
  });

  it('sweeps the history of a vehicle deleted straight from the database', async () => {
    // Sample tables have no foreign keys: their rows outlive the vehicle.
    const orphan = { device_id: 9000, vehicle_id: 9000, lat: 59.3, lon: 18.1, fix_quality: 'gps' };
    for (const [seq, age] of [
      [1, 40],
      [2, 1],
    ] as const)
      await knex()('positions').insert({
        ...orphan,
        seq,
        t: now - age * DAY,
        received_at: now - age * DAY,
      });
    expect((await knex()('vehicles').where({ id: 9000 })).length).toBe(0);

    expect(await running.server.sweepRetention()).toMatchObject({ positions: 1 });
    expect(await agesIn('positions', 9000)).toEqual([1]);
    // Left behind, vehicle id 9000 would make every later sweep of this
    // server probe 9000 ids (one at a time in the test below: 15 s on PostgreSQL).
    await knex()('positions').where({ vehicle_id: 9000 }).delete();
  });

  it('tells consoles how long history is kept', async () => {
    const res = await fetch(`${running.url}/api/config`);
    expect(((await res.json()) as { retention: unknown }).retention).toEqual({
      telemetryDays: 30,
      eventDays: 90,
    });
  });

  it('works through more rows than one statement deletes', async () => {
    const vehicle = s.vehiclesB[1]!;
    let seq = 2_000_000;
    for (let i = 0; i < 23; i++) await insertHistory(knex(), vehicle, 40 + i, seq++, now);
    await insertHistory(knex(), vehicle, 2, seq, now);
    const sweeper = new RetentionSweeper(
      new RetentionRepository(knex()),
      { telemetryMs: 30 * DAY, eventsMs: null },
      createLogger('silent'),
      { chunkRows: 5, vehiclesPerChunk: 1 },
    );
    expect(await sweeper.sweep(now)).toEqual({
      positions: 23,
      readings: 23,
      dtc_reports: 23,
      device_statuses: 23,
    });
    expect(await agesIn('positions', vehicle.id)).toEqual([2]);
    // Events were not part of this sweep's policy.
    expect((await agesIn('events', vehicle.id)).length).toBe(24);
  });

  it('refuses a sample older than its retention, and stores the others of the batch', async () => {
    const vehicle = s.vehiclesA[0]!;
    const { socket, hello } = await connectDevice(running.url, vehicle.token);
    const next = hello.highestStoredSeq + 1;
    const t = Date.now();
    const reply: BatchReply = await sendBatch(socket, [
      position({ seq: next, t: t - 31 * DAY }),
      position({ seq: next + 1, t }),
      // Driving events follow the events' retention: 31 days is within it.
      { kind: 'driving', seq: next + 2, t: t - 31 * DAY, event: 'trip_start' },
      { kind: 'driving', seq: next + 3, t: t - 91 * DAY, event: 'trip_start' },
    ]);
    if (!('ok' in reply)) throw new Error(`batch refused: ${JSON.stringify(reply)}`);
    expect(reply.stored).toBe(2);
    expect(reply.rejected).toEqual([
      {
        index: 0,
        seq: next,
        field: 't',
        reason: 'is 31 days old; telemetry older than 30 days is not kept',
      },
      {
        index: 3,
        seq: next + 3,
        field: 't',
        reason: 'is 91 days old; events older than 90 days is not kept',
      },
    ]);
    // Refused samples still count as answered: the device may forget them.
    expect(reply.ackSeq).toBe(next + 3);
  });
});

describe.each(databaseTargets())('the erase-history command on $name', (target) => {
  it("erases one vehicle's history, before a time or all of it, and nothing else", async () => {
    const db = await target.create();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-erase-'));
    try {
      const env = envFor(db.config, dataDir);
      const now = Date.now();
      const core = await createCore(loadConfig(env), { logger: createLogger('silent') });
      let erased: number;
      let kept: number;
      try {
        const fleet = await core.accounts.createFleet({ name: 'Depot', overspeedLimitKmh: 80 });
        const a = await core.accounts.registerVehicle({ name: 'Sold', fleetIds: [fleet.id] });
        const b = await core.accounts.registerVehicle({ name: 'Kept', fleetIds: [fleet.id] });
        erased = a.vehicle.id;
        kept = b.vehicle.id;
        let seq = 1;
        for (const r of [a, b])
          for (const age of [40, 20, 1])
            await insertHistory(
              core.db.knex,
              { id: r.vehicle.id, deviceId: r.device.id },
              age,
              seq++,
              now,
            );
      } finally {
        await core.db.close();
      }
      const day = new Date(now - 10 * DAY).toISOString().slice(0, 10);

      const bad = await runCli(
        ['erase-history', '--vehicle', String(erased), '--before', '2026-02-30'],
        env,
      );
      expect(bad.code).toBe(64);
      expect(bad.stderr).toMatch(/--before must be a day/);

      const dry = await runCli(
        ['erase-history', '--vehicle', String(erased), '--before', day, '--dry-run'],
        env,
      );
      expect(dry.stdout).toContain('positions: 2 rows would be deleted');
      expect(dry.stdout).toContain('events: 2 rows would be deleted');

      const before = await runCli(
        ['erase-history', '--vehicle', String(erased), '--before', day],
        env,
      );
      expect(before.code).toBe(0);
      expect(before.stdout).toContain('positions: 2 rows deleted');

      const after = await createCore(loadConfig(env), { logger: createLogger('silent') });
      try {
        const ages = async (table: string, vehicleId: number) =>
          (await after.db.knex(table).select('t').where({ vehicle_id: vehicleId }))
            .map((r: { t: number | string }) => Math.round((now - Number(r.t)) / DAY))
            .sort((x, y) => x - y);
        for (const table of TABLES) {
          expect(await ages(table, erased), table).toEqual([1]);
          expect(await ages(table, kept), table).toEqual([1, 20, 40]);
        }
      } finally {
        await after.db.close();
      }

      const all = await runCli(['erase-history', '--vehicle', String(erased)], env);
      expect(all.stdout.split('\n').filter(Boolean)).toEqual([
        'positions: 1 row deleted',
        'readings: 1 row deleted',
        'dtc_reports: 1 row deleted',
        'device_statuses: 1 row deleted',
        'driving_events: 1 row deleted',
        'events: 1 row deleted',
      ]);
      // What a vehicle no longer in the database left can be erased too.
      const gone = await runCli(['erase-history', '--vehicle', '4242', '--dry-run'], env);
      expect(gone.stdout).toMatch(
        /^vehicle 4242 does not exist \(any more\): erasing what it left$/m,
      );
    } finally {
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseTargets())('events past their retention on $name', (target) => {
  it('are not stored when a late backlog of telemetry, still kept, would raise them', async () => {
    const db = await target.create();
    const running = await startServer(
      testConfig(db.config, { retention: { telemetryMs: null, eventsMs: 30 * DAY } }),
    );
    try {
      const s = await seed(running.server, 1);
      const vehicle = s.vehiclesA[0]!;
      const { socket } = await connectDevice(running.url, vehicle.token);
      const t = Date.now();
      const ignition = (seq: number, at: number, on: boolean) => ({
        kind: 'status' as const,
        seq,
        t: at,
        ignition: on,
      });
      const reply = await sendBatch(socket, [
        ignition(1, t - 60 * DAY, false),
        ignition(2, t - 60 * DAY + 1000, true),
        ignition(3, t - 10 * DAY, false),
        ignition(4, t - 10 * DAY + 1000, true),
      ]);
      // Telemetry is kept for good: every sample is stored.
      expect(reply).toMatchObject({ ok: true, stored: 4, rejected: [] });
      const events = await running.server.db
        .knex('events')
        .select('type', 't')
        .where({ vehicle_id: vehicle.id })
        .orderBy('t');
      const ages = events.map((e: { type: string; t: number | string }) => [
        e.type,
        Math.round((t - Number(e.t)) / DAY),
      ]);
      // Only the events within the 30 days: the ones 60 days back are not stored.
      expect(ages.length).toBeGreaterThan(0);
      expect(ages.every(([, age]) => Number(age) <= 30)).toBe(true);
      expect(ages).toContainEqual(['ignition_on', 10]);
    } finally {
      await running.close();
      await db.drop();
    }
  });
});

describe('history retention switched off (the default)', () => {
  it('keeps everything', async () => {
    const [target] = databaseTargets();
    const db = await target!.create();
    const running = await startServer(testConfig(db.config));
    try {
      const s = await seed(running.server, 1);
      await insertHistory(running.server.db.knex, s.vehiclesA[0]!, 5000, 1_000_000, Date.now());
      expect(await running.server.sweepRetention()).toEqual({});
      for (const table of TABLES) {
        const [{ n }] = (await running.server.db.knex(table).count({ n: '*' })) as [
          { n: number | string },
        ];
        expect(Number(n), table).toBe(1);
      }
    } finally {
      await running.close();
      await db.drop();
    }
  });
});

describe.each(databaseTargets())('the sweep-retention command on $name', (target) => {
  it('counts what would go with --dry-run, then deletes it', async () => {
    const db = await target.create();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-retention-'));
    try {
      const env = envFor(db.config, dataDir);
      // History written by a server that kept everything.
      const core = await createCore(loadConfig(env), { logger: createLogger('silent') });
      try {
        const fleet = await core.accounts.createFleet({ name: 'Depot', overspeedLimitKmh: 80 });
        const r = await core.accounts.registerVehicle({ name: 'Truck', fleetIds: [fleet.id] });
        const vehicle = { id: r.vehicle.id, deviceId: r.device.id };
        for (const [i, age] of [400, 100, 40, 1].entries())
          await insertHistory(core.db.knex, vehicle, age, i + 1, Date.now());
      } finally {
        await core.db.close();
      }

      expect((await runCli(['sweep-retention'], env)).stdout).toMatch(/all history is kept/);
      const policy = { ...env, TELEMETRY_RETENTION_DAYS: '30', EVENT_RETENTION_DAYS: '365' };
      const dry = await runCli(['sweep-retention', '--dry-run'], policy);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('positions: 3 rows would be deleted');
      expect(dry.stdout).toContain('events: 1 row would be deleted');
      const again = await runCli(['sweep-retention', '--dry-run'], policy);
      expect(again.stdout).toBe(dry.stdout);

      const swept = await runCli(['sweep-retention'], policy);
      expect(swept.code).toBe(0);
      expect(swept.stdout.split('\n').filter(Boolean)).toEqual([
        'positions: 3 rows deleted',
        'readings: 3 rows deleted',
        'dtc_reports: 3 rows deleted',
        'device_statuses: 3 rows deleted',
        'driving_events: 1 row deleted',
        'events: 1 row deleted',
      ]);
      expect((await runCli(['sweep-retention', '--dry-run'], policy)).stdout).toContain(
        'positions: 0 rows would be deleted',
      );
    } finally {
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
