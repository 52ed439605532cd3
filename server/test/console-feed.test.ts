import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent, SubscribeReply, VehicleUpdate } from '@fleetline/protocol';
import {
  closeClients,
  connectConsole,
  connectDevice,
  databaseTargets,
  eventually,
  login,
  position,
  seed,
  sendBatch,
  startServer,
  testConfig,
} from './harness.js';
import type { ConsoleRecorder, RunningServer, Seed, TestDatabase } from './harness.js';
import { createCore } from '../src/core.js';
import { createLogger } from '../src/logger.js';

const updatesFor = (c: ConsoleRecorder, vehicleId: number): VehicleUpdate[] =>
  c.updates.flatMap((m) => m.updates.filter((u) => u.id === vehicleId));

describe.each(databaseTargets())('console feed on $name', (target) => {
  let db: TestDatabase;
  let running: RunningServer;
  let s: Seed;
  let tokens: { admin: string; north: string; south: string; driver: string };

  beforeAll(async () => {
    db = await target.create();
    running = await startServer(testConfig(db.config, { offlineAfterMs: 400 }));
    s = await seed(running.server, 3, 90);
    tokens = {
      admin: await login(running.url, s.admin),
      north: await login(running.url, s.dispatcherA),
      south: await login(running.url, s.dispatcherB),
      driver: await login(running.url, s.driver),
    };
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await running?.close();
    await db?.drop();
  });

  it('sends a dispatcher a snapshot of their fleets only', async () => {
    const north = await connectConsole(running.url, { token: tokens.north });
    const snapshot = north.snapshots[0]!;
    expect(snapshot.full).toBe(true);
    expect(snapshot.fleets.map((f) => f.id)).toEqual([s.fleetA]);
    expect(snapshot.vehicles.map((v) => v.id)).toEqual(s.vehiclesA.map((v) => v.id));
    expect(snapshot.vehicles[0]).toMatchObject({
      name: 'N-1',
      plate: 'N1',
      fleetIds: [s.fleetA],
      online: false,
    });
    const admin = await connectConsole(running.url, { token: tokens.admin });
    expect(admin.snapshots[0]!.vehicles.length).toBeGreaterThanOrEqual(6);
  });

  it('refuses a console asking for a fleet it may not see, and roles without console access', async () => {
    await expect(
      connectConsole(running.url, { token: tokens.north, fleetIds: [s.fleetB] }),
    ).rejects.toMatchObject({
      body: { type: 'forbidden-fleet' },
    });
    await expect(connectConsole(running.url, { token: tokens.driver })).rejects.toMatchObject({
      body: { type: 'forbidden' },
    });
    await expect(connectConsole(running.url, {})).rejects.toMatchObject({
      body: { type: 'unauthenticated' },
    });
    await expect(
      connectConsole(running.url, { token: 'fls_' + 'x'.repeat(43) }),
    ).rejects.toMatchObject({
      body: { type: 'unauthenticated' },
    });
    const north = await connectConsole(running.url, { token: tokens.north });
    const reply = (await north.socket
      .timeout(5000)
      .emitWithAck('subscribe', { fleetIds: [s.fleetB] })) as SubscribeReply;
    expect(reply).toMatchObject({ error: { type: 'forbidden-fleet' } });
  });

  it('refuses at connect a handshake whose event id no database column can hold', async () => {
    for (const lastEventId of [2_147_483_648, 1e15, -1]) {
      await expect(
        connectConsole(running.url, { token: tokens.north, lastEventId }),
      ).rejects.toMatchObject({
        body: {
          type: 'validation-failed',
          errors: [{ path: 'auth.lastEventId', message: expect.any(String) as string }],
        },
      });
    }
    await expect(
      connectConsole(running.url, { token: tokens.admin, fleetIds: [99_999_999_999] }),
    ).rejects.toMatchObject({
      body: { type: 'validation-failed', errors: [{ path: 'auth.fleetIds.0' }] },
    });
    // The largest id a column holds is fine: there is just nothing newer to replay.
    const north = await connectConsole(running.url, {
      token: tokens.north,
      lastEventId: 2_147_483_647,
    });
    expect(north.snapshots).toHaveLength(1);
  });

  it('pushes live updates, merged per vehicle, only to consoles that may see the vehicle', async () => {
    const north = await connectConsole(running.url, { token: tokens.north });
    const south = await connectConsole(running.url, { token: tokens.south });
    const v = s.vehiclesA[0]!;
    const { socket } = await connectDevice(running.url, v.token);
    const t = Date.now();
    // Ten fixes in one batch: the console gets the newest, once.
    const fixes = Array.from({ length: 10 }, (_, i) =>
      position({ t: t + i * 100, lat: 59 + i / 1000, speedKmh: 30 + i }),
    );
    await sendBatch(socket, [
      ...fixes,
      { kind: 'reading', seq: 9000 + 1, t, pid: 0x0d, value: 39, unit: 'km/h' },
    ]);
    const update = await eventually(
      () => updatesFor(north, v.id).find((u) => u.position),
      3000,
      'update',
    );
    expect(update.position).toMatchObject({ t: t + 900, lat: 59.009, speedKmh: 39 });
    expect(update.online).toBe(true);
    expect(update.readings).toEqual([{ pid: 0x0d, part: 0, t, value: 39, unit: 'km/h' }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(updatesFor(north, v.id).filter((u) => u.position)).toHaveLength(1);
    expect(updatesFor(south, v.id)).toHaveLength(0);
    // The next update carries only what changed since.
    await sendBatch(socket, [position({ t: t + 2000, lat: 59.5 })]);
    const next = await eventually(
      () => updatesFor(north, v.id).find((u) => u.position?.lat === 59.5),
      3000,
      'second update',
    );
    expect(next.readings).toBeUndefined();
  });

  it('narrows to a viewport: vehicles entering arrive whole, leaving ones get a last update', async () => {
    const [a, b] = s.vehiclesA;
    const da = await connectDevice(running.url, a!.token);
    const dbv = await connectDevice(running.url, b!.token);
    // Newer than anything earlier tests sent for these vehicles, so every fix is live.
    const t = Date.now() + 60_000;
    await sendBatch(da.socket, [position({ t, lat: 10, lon: 10 })]);
    await sendBatch(dbv.socket, [position({ t, lat: 50, lon: 50 })]);
    const north = await connectConsole(running.url, { token: tokens.north });
    const reply = (await north.socket.timeout(5000).emitWithAck('subscribe', {
      viewport: { west: 0, south: 0, east: 20, north: 20 },
    })) as SubscribeReply;
    expect(reply).toEqual({ ok: true, vehicles: 1 });
    const narrowed = north.snapshots.at(-1)!;
    expect(narrowed.vehicles.map((v) => v.id)).toEqual([a!.id]);

    await sendBatch(dbv.socket, [position({ t: t + 1000, lat: 55, lon: 55 })]);
    await sendBatch(dbv.socket, [position({ t: t + 2000, lat: 15, lon: 15 })]);
    const entered = await eventually(
      () => north.updates.flatMap((m) => m.added ?? []).find((v) => v.id === b!.id),
      3000,
      'enter',
    );
    expect(entered).toMatchObject({ name: 'N-2', position: { lat: 15, lon: 15 } });
    expect(updatesFor(north, b!.id).filter((u) => u.position?.lat === 55)).toHaveLength(0);

    await sendBatch(da.socket, [position({ t: t + 3000, lat: 40, lon: 40 })]);
    await eventually(
      () => updatesFor(north, a!.id).find((u) => u.position?.lat === 40),
      3000,
      'leave',
    );
    await sendBatch(da.socket, [position({ t: t + 4000, lat: 41, lon: 41 })]);
    await new Promise((r) => setTimeout(r, 100));
    expect(updatesFor(north, a!.id).find((u) => u.position?.lat === 41)).toBeUndefined();
  });

  it('a resumed console receives only what changed while it was away', async () => {
    const [, , c] = s.vehiclesA;
    const first = await connectConsole(running.url, { token: tokens.north });
    const cursor = first.snapshots[0]!.cursor;
    first.socket.close();
    const { socket } = await connectDevice(running.url, c!.token);
    await sendBatch(socket, [position({ lat: 1.5, lon: 2.5 })]);
    await eventually(() =>
      running.server.live.state(c!.id)?.position?.lat === 1.5 ? true : undefined,
    );
    const resumed = await connectConsole(running.url, { token: tokens.north, resume: cursor });
    const catchUp = resumed.snapshots[0]!;
    expect(catchUp.full).toBe(false);
    expect(catchUp.vehicles.map((v) => v.id)).toEqual([c!.id]);
    expect(catchUp.vehicleIds?.sort()).toEqual(s.vehiclesA.map((v) => v.id).sort());
    // A cursor from another server life gets a full snapshot.
    const stale = await connectConsole(running.url, {
      token: tokens.north,
      resume: { epoch: 'other', rev: 1 },
    });
    expect(stale.snapshots[0]!.full).toBe(true);
  });

  it('derives, stores and pushes events: online, overspeed, ignition, new trouble code, offline', async () => {
    const v = s.vehiclesB[2]!;
    const south = await connectConsole(running.url, { token: tokens.south });
    const north = await connectConsole(running.url, { token: tokens.north });
    const { socket } = await connectDevice(running.url, v.token);
    const t = Date.now() - 10_000;
    await sendBatch(socket, [
      { kind: 'status', seq: 1, t, ignition: false, batteryV: 12.5 },
      { kind: 'status', seq: 2, t: t + 1000, ignition: true, batteryV: 14.1 },
      position({ seq: 3, t: t + 2000, speedKmh: 80 }),
      position({ seq: 4, t: t + 3000, speedKmh: 95 }),
      position({ seq: 5, t: t + 4000, speedKmh: 99 }),
      position({ seq: 6, t: t + 5000, speedKmh: 70 }),
      position({ seq: 7, t: t + 6000, speedKmh: 92 }),
      { kind: 'dtc', seq: 8, t: t + 7000, dtcKind: 'stored', codes: ['P0301'] },
      { kind: 'dtc', seq: 9, t: t + 8000, dtcKind: 'stored', codes: ['P0301', 'P0420'] },
    ]);
    const types = (events: FleetEvent[]) =>
      events.filter((e) => e.vehicleId === v.id).map((e) => e.type);
    await eventually(
      () => (types(south.events).includes('dtc_new') ? true : undefined),
      3000,
      'events',
    );
    expect(types(south.events)).toEqual([
      'ignition_on',
      'overspeed',
      'overspeed',
      'dtc_new',
      'dtc_new',
      'device_online',
    ]);
    const overspeed = south.events.find((e) => e.type === 'overspeed');
    expect(overspeed).toMatchObject({
      t: t + 3000,
      late: false,
      data: { speedKmh: 95, limitKmh: 90 },
    });
    expect(south.events.filter((e) => e.type === 'dtc_new').map((e) => e.data)).toEqual([
      { code: 'P0301', dtcKind: 'stored' },
      { code: 'P0420', dtcKind: 'stored' },
    ]);
    expect(types(north.events)).toEqual([]);
    const stored = await running.server.db.knex('events').where({ vehicle_id: v.id }).orderBy('id');
    expect(stored.map((e: { type: string }) => e.type)).toEqual(types(south.events));

    // Silence longer than offlineAfterMs (400 ms here) takes it offline.
    const offline = await eventually(
      () => south.events.find((e) => e.vehicleId === v.id && e.type === 'device_offline'),
      3000,
      'offline',
    );
    expect(offline.data).toMatchObject({ lastSeenAt: expect.any(Number) as number });
    await eventually(
      () => updatesFor(south, v.id).find((u) => u.online === false),
      3000,
      'offline update',
    );
    // Data again: online again.
    await sendBatch(socket, [position({ seq: 10, t: Date.now(), speedKmh: 20 })]);
    await eventually(
      () =>
        south.events.filter((e) => e.vehicleId === v.id && e.type === 'device_online').length ===
          2 || undefined,
    );
  });

  it('tells consoles at once when a vehicle gets another driver, and includes the driver in snapshots', async () => {
    const v = s.vehiclesA[1]!;
    const north = await connectConsole(running.url, { token: tokens.north });
    expect(north.snapshots[0]!.vehicles.find((x) => x.id === v.id)?.driver).toBeNull();
    const driver = await running.server.accounts.createUser({
      email: 'anna@example.test',
      name: 'Anna Becker',
      password: 'long enough password',
      role: 'driver',
      fleetIds: [s.fleetA],
    });
    await running.server.accounts.assignDriver(v.id, { userId: driver.id });
    const update = await eventually(
      () => updatesFor(north, v.id).find((u) => u.details?.driver),
      3000,
      'details update',
    );
    expect(update.details).toMatchObject({
      name: 'N-2',
      plate: 'N2',
      fleetIds: [s.fleetA],
      driver: { id: driver.id, name: 'Anna Becker' },
    });
    // Only the details changed: no position or presence rides along.
    expect(update.position).toBeUndefined();
    const later = await connectConsole(running.url, { token: tokens.north });
    expect(later.snapshots[0]!.vehicles.find((x) => x.id === v.id)?.driver).toEqual({
      id: driver.id,
      name: 'Anna Becker',
    });
  });

  it('shows a vehicle registered by another process (the CLI) once its device connects', async () => {
    const north = await connectConsole(running.url, { token: tokens.north });
    // What `npm run fleetline -- register-vehicle` does: its own connection, no live server in reach.
    const cli = await createCore(testConfig(db.config), { logger: createLogger('silent') });
    let registered;
    try {
      registered = await cli.accounts.registerVehicle({
        name: 'From CLI',
        plate: 'CLI1',
        fleetIds: [s.fleetA],
      });
    } finally {
      await cli.db.close();
    }
    const vehicleId = registered.vehicle.id;
    const { socket } = await connectDevice(running.url, registered.device.token);
    await sendBatch(socket, [position({ seq: 1, t: Date.now() })]);
    const added = await eventually(
      () => north.updates.flatMap((m) => m.added ?? []).find((v) => v.id === vehicleId),
      3000,
      'the new vehicle on a connected console',
    );
    expect(added).toMatchObject({ name: 'From CLI', plate: 'CLI1', fleetIds: [s.fleetA] });
    const later = await connectConsole(running.url, { token: tokens.north });
    expect(later.snapshots[0]!.vehicles.map((v) => v.id)).toContain(vehicleId);
    const south = await connectConsole(running.url, { token: tokens.south });
    expect(south.snapshots[0]!.vehicles.map((v) => v.id)).not.toContain(vehicleId);
  });

  it('shows a vehicle the CLI registers, and a driver it assigns, before the device ever connects', async () => {
    const north = await connectConsole(running.url, { token: tokens.north });
    const cli = await createCore(testConfig(db.config), { logger: createLogger('silent') });
    let vehicleId: number;
    try {
      ({
        vehicle: { id: vehicleId },
      } = await cli.accounts.registerVehicle({
        name: 'Parked',
        plate: 'CLI2',
        fleetIds: [s.fleetA],
      }));
      // What the change-feed poll does every few seconds.
      await running.server.applyVehicleChanges();
      const added = await eventually(
        () => north.updates.flatMap((m) => m.added ?? []).find((v) => v.id === vehicleId),
        3000,
        'the new vehicle on a connected console',
      );
      expect(added).toMatchObject({ name: 'Parked', plate: 'CLI2', online: false, driver: null });

      const driver = await cli.accounts.createUser({
        email: 'cli-driver@example.test',
        name: 'Chris Lang',
        password: 'a long enough password',
        role: 'driver',
        fleetIds: [s.fleetA],
      });
      await cli.accounts.assignDriver(vehicleId, { userId: driver.id });
    } finally {
      await cli.db.close();
    }
    await running.server.applyVehicleChanges();
    const update = await eventually(
      () => updatesFor(north, vehicleId).find((u) => u.details?.driver),
      3000,
      'the new driver on a connected console',
    );
    expect(update.details?.driver).toEqual({
      id: expect.any(Number) as number,
      name: 'Chris Lang',
    });
    const south = await connectConsole(running.url, { token: tokens.south });
    expect(south.snapshots[0]!.vehicles.map((v) => v.id)).not.toContain(vehicleId);
  });

  it('replays events a reconnecting console missed', async () => {
    const v = s.vehiclesB[0]!;
    const south = await connectConsole(running.url, { token: tokens.south });
    const lastEventId = Math.max(0, ...south.events.map((e) => e.id));
    const before = (await running.server.db.knex('events').max({ id: 'id' }).first())?.id as number;
    south.socket.close();
    const { socket } = await connectDevice(running.url, v.token);
    await sendBatch(socket, [
      { kind: 'dtc', seq: 70_000, t: Date.now(), dtcKind: 'pending', codes: ['C1234'] },
    ]);
    await eventually(async () =>
      (await running.server.db.knex('events').where('id', '>', before).first()) ? true : undefined,
    );
    const back = await connectConsole(running.url, {
      token: tokens.south,
      lastEventId: Math.max(lastEventId, before),
    });
    const replayed = await eventually(
      () => back.replayed.find((e) => e.type === 'dtc_new' && e.data.code === 'C1234'),
      3000,
      'replay',
    );
    expect(replayed.vehicleId).toBe(v.id);
  });

  it('replays the newest events when more were missed than a replay carries, and says so', async () => {
    const v = s.vehiclesB[1]!;
    const maxId = async () =>
      Number((await running.server.db.knex('events').max({ id: 'id' }).first())?.id ?? 0);
    // Vehicles of earlier tests go offline 400 ms after their last sample, an
    // event of their own: wait for that, or it may land among the ones counted here.
    const { live } = running.server;
    await eventually(
      () => ([...live.ids()].every((id) => !live.state(id)?.online) ? true : undefined),
      5000,
      'every vehicle offline',
    );
    const before = await maxId();
    const t = Date.now();
    const rows = Array.from({ length: 1005 }, (_, i) => ({
      vehicle_id: v.id,
      type: 'ignition_on',
      t: t + i,
      recorded_at: t + i,
      late: false,
      data: '{}',
    }));
    for (let i = 0; i < rows.length; i += 200)
      await running.server.db.knex('events').insert(rows.slice(i, i + 200));
    const newestId = await maxId();
    const back = await connectConsole(running.url, { token: tokens.south, lastEventId: before });
    await eventually(() => (back.replayed.length > 0 ? true : undefined), 3000, 'replay');
    const ids = back.replayed.map((e) => e.id);
    expect(ids).toHaveLength(1000);
    // The newest thousand, oldest first: the five oldest missed ones were left out, and the console is told.
    expect(ids[0]).toBe(newestId - 999);
    expect(ids.at(-1)).toBe(newestId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(back.replayTruncated).toBe(true);
  });
});
