import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BatchAck, BatchReply, ErrorPayload } from '@fleetline/protocol';
import { PgIngestThread } from '../src/db/pg-thread/client.js';
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
import type { RunningServer, Seed, TestDatabase } from './harness.js';

function ack(reply: BatchReply): BatchAck {
  if (!('ok' in reply)) throw new Error(`expected an ack, got ${JSON.stringify(reply)}`);
  return reply;
}
function refusal(reply: BatchReply): ErrorPayload['error'] {
  if ('ok' in reply) throw new Error(`expected an error, got ${JSON.stringify(reply)}`);
  return reply.error;
}

describe.each(databaseTargets())('device uplink on $name', (target) => {
  let db: TestDatabase;
  let running: RunningServer;
  let s: Seed;

  beforeAll(async () => {
    db = await target.create();
    running = await startServer(testConfig(db.config));
    s = await seed(running.server);
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await running?.close();
    await db?.drop();
  });

  const count = async (table: string, deviceId: number) =>
    Number(
      (await running.server.db.knex(table).where({ device_id: deviceId }).count({ n: '*' }).first())
        ?.n,
    );

  /** A vehicle of its own in fleet A, with its device connected: for tests that count its rows. */
  const freshDevice = async (plate: string) => {
    const { vehicle, device } = await running.server.accounts.registerVehicle({
      name: plate,
      plate,
      fleetIds: [s.fleetA],
    });
    const { socket } = await connectDevice(running.url, device.token);
    return { vehicleId: vehicle.id, deviceId: device.id, socket };
  };

  it('greets an authenticated device with its identity and stored high-water mark', async () => {
    const v = s.vehiclesA[0]!;
    const { hello } = await connectDevice(running.url, v.token);
    expect(hello).toMatchObject({ deviceId: v.deviceId, vehicleId: v.id, maxBatchSamples: 1000 });
    expect(Math.abs(hello.serverTime - Date.now())).toBeLessThan(5000);
  });

  it('stores a batch of every sample kind and acknowledges the highest sequence only after commit', async () => {
    const v = s.vehiclesA[0]!;
    const { socket } = await connectDevice(running.url, v.token);
    const t = Date.now();
    const reply = ack(
      await sendBatch(socket, [
        position({ seq: 1, t }),
        { kind: 'reading', seq: 2, t, pid: 0x0c, value: 2100.5, unit: 'rpm' },
        { kind: 'reading', seq: 3, t, pid: 0x14, part: 1, value: -3.1, unit: '%' },
        { kind: 'dtc', seq: 4, t, dtcKind: 'stored', codes: ['P0301'] },
        { kind: 'status', seq: 5, t, batteryV: 13.9, ignition: true, gpsFix: 'gps' },
      ]),
    );
    expect(reply).toMatchObject({
      ok: true,
      ackSeq: 5,
      highestStoredSeq: 5,
      stored: 5,
      duplicates: 0,
      rejected: [],
    });
    // The ack came after the commit: everything is readable now.
    expect(await count('positions', v.deviceId)).toBe(1);
    expect(await count('readings', v.deviceId)).toBe(2);
    expect(await count('dtc_reports', v.deviceId)).toBe(1);
    expect(await count('device_statuses', v.deviceId)).toBe(1);
    const reading = await running.server.db
      .knex('readings')
      .where({ device_id: v.deviceId, seq: 3 })
      .first<Record<string, unknown>>();
    expect(reading).toMatchObject({ pid: 0x14, part: 1, value: -3.1, unit: '%', vehicle_id: v.id });
    expect(await running.server.repos.telemetry.highestSeq(v.deviceId)).toBe(5);
  });

  it('stores the device health a status sample reports and rejects a state it does not know', async () => {
    const r = await running.server.accounts.registerVehicle({
      name: 'N-health',
      plate: null,
      fleetIds: [s.fleetA],
    });
    const v = { deviceId: r.device.id };
    const { socket } = await connectDevice(running.url, r.device.token);
    const t = Date.now();
    const reply = ack(
      await sendBatch(socket, [
        { kind: 'status', seq: 1, t, obdLink: 'ignition_off', gpsReceiver: 'no_fix', backlog: 7 },
        { kind: 'status', seq: 2, t, obdLink: 'unplugged' },
        { kind: 'status', seq: 3, t, backlog: -1 },
        { kind: 'status', seq: 4, t, backlog: 0 },
      ]),
    );
    expect(reply).toMatchObject({ stored: 2, ackSeq: 4 });
    expect(reply.rejected.map((r) => [r.seq, r.field])).toEqual([
      [2, 'obdLink'],
      [3, 'backlog'],
    ]);
    const rows = await running.server.db
      .knex('device_statuses')
      .where({ device_id: v.deviceId })
      .orderBy('seq')
      .select<Record<string, unknown>[]>('seq', 'obd_link', 'gps_receiver', 'backlog');
    expect(rows.map((r) => [Number(r.seq), r.obd_link, r.gps_receiver, Number(r.backlog)])).toEqual(
      [
        [1, 'ignition_off', 'no_fix', 7],
        [4, null, null, 0],
      ],
    );
  });

  it('recognises a replayed sample and never stores it twice', async () => {
    const v = s.vehiclesA[1]!;
    const { socket } = await connectDevice(running.url, v.token);
    const batch = [position({ seq: 10 }), position({ seq: 11 }), position({ seq: 12 })];
    expect(ack(await sendBatch(socket, batch))).toMatchObject({ stored: 3, duplicates: 0 });
    // The same batch again (the ack was lost), and one overlapping a new sample.
    expect(ack(await sendBatch(socket, batch))).toMatchObject({
      stored: 0,
      duplicates: 3,
      ackSeq: 12,
    });
    expect(ack(await sendBatch(socket, [batch[2], position({ seq: 13 })]))).toMatchObject({
      stored: 1,
      duplicates: 1,
    });
    // Two concurrent copies of one batch land in the same tick: one stores, one is a duplicate.
    const copy = [position({ seq: 14 })];
    const [a, b] = await Promise.all([sendBatch(socket, copy), sendBatch(socket, copy)]);
    expect(ack(a).stored + ack(b).stored).toBe(1);
    expect(ack(a).duplicates + ack(b).duplicates).toBe(1);
    expect(await count('positions', v.deviceId)).toBe(5);
  });

  it('stores a sequence number once whatever its kind: a replay under another kind is a duplicate', async () => {
    const { deviceId, socket } = await freshDevice('KIND1');
    const t = Date.now();
    expect(ack(await sendBatch(socket, [position({ seq: 100, t })]))).toMatchObject({
      stored: 1,
    });
    // Later batches reuse 100 for other kinds (a companion whose outbox was
    // rebuilt, say): each table's key alone would let them in.
    expect(
      ack(
        await sendBatch(socket, [
          { kind: 'reading', seq: 100, t, pid: 0x0d, value: 40, unit: 'km/h' },
          { kind: 'reading', seq: 101, t, pid: 0x0d, value: 41, unit: 'km/h' },
        ]),
      ),
    ).toMatchObject({ stored: 1, duplicates: 1, rejected: [] });
    expect(
      ack(await sendBatch(socket, [{ kind: 'status', seq: 101, t, ignition: true }])),
    ).toMatchObject({ stored: 0, duplicates: 1, rejected: [] });
    const seqs = async (table: string) =>
      (await running.server.db.knex(table).where({ device_id: deviceId }).select('seq')).map(
        (r: { seq: unknown }) => Number(r.seq),
      );
    expect(await seqs('positions')).toEqual([100]);
    expect(await seqs('readings')).toEqual([101]);
    expect(await seqs('device_statuses')).toEqual([]);
  });

  it('finds stored keys across devices and kinds, more than one lookup holds', async () => {
    const a = await freshDevice('KEYA');
    const b = await freshDevice('KEYB');
    const t = Date.now();
    ack(await sendBatch(a.socket, [position({ seq: 5, t }), position({ seq: 1500, t })]));
    ack(
      await sendBatch(b.socket, [
        { kind: 'reading', seq: 5, t, pid: 0x0c, value: 900, unit: 'rpm' },
        { kind: 'status', seq: 7, t, ignition: false },
      ]),
    );
    // More keys than one lookup holds, across both devices.
    const asked = Array.from({ length: 1600 }, (_, i) => [
      { deviceId: a.deviceId, seq: i + 1 },
      { deviceId: b.deviceId, seq: i + 1 },
    ]).flat();
    const found = await running.server.repos.telemetry.storedKeys(asked);
    expect([...found].sort()).toEqual(
      [`${a.deviceId}:1500`, `${a.deviceId}:5`, `${b.deviceId}:5`, `${b.deviceId}:7`].sort(),
    );
  });

  it('refuses only the samples the database cannot store; other devices in the same tick are stored', async () => {
    const gone = await freshDevice('GONE1');
    const kept = await freshDevice('KEPT1');
    // The vehicle disappears under its connected device (straight from the
    // database, as another process would): its state row can no longer be
    // written, a refusal for the data, not an outage.
    await running.server.db.knex('vehicles').where({ id: gone.vehicleId }).delete();
    const t = Date.now();
    const [fromGone, fromKept] = await Promise.all([
      sendBatch(gone.socket, [position({ seq: 1, t }), position({ seq: 2, t: t + 1 })]),
      sendBatch(kept.socket, [position({ seq: 1, t }), position({ seq: 2, t: t + 1 })]),
    ]);
    expect(ack(fromKept)).toMatchObject({ stored: 2, rejected: [] });
    expect(ack(fromGone)).toMatchObject({
      stored: 0,
      duplicates: 0,
      rejected: [
        { index: 0, seq: 1, field: '' },
        { index: 1, seq: 2, field: '' },
      ],
    });
    expect(await count('positions', kept.deviceId)).toBe(2);
    expect(await count('positions', gone.deviceId)).toBe(0);
  });

  it('stores samples whose events the database refuses, without those events, rather than refusing them', async () => {
    const feed = await connectConsole(running.url, { token: await login(running.url, s.admin) });
    const v = await freshDevice('EVTS1');
    // The events table refuses every row (an id sequence out of step, say):
    // a fault of the server's, not of the samples.
    const knex = running.server.db.knex;
    if (target.name === 'sqlite')
      await knex.raw(
        "CREATE TRIGGER events_out_of_step BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events out of step'); END",
      );
    else {
      await knex.raw(
        "CREATE FUNCTION events_out_of_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events out of step' USING ERRCODE = 'unique_violation'; END $$",
      );
      await knex.raw(
        'CREATE TRIGGER events_out_of_step BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_out_of_step()',
      );
    }
    const t = Date.now();
    try {
      // A first report derives device_online, which the database refuses.
      const reply = ack(
        await sendBatch(v.socket, [position({ seq: 1, t }), position({ seq: 2, t: t + 1 })]),
      );
      expect(reply).toMatchObject({ stored: 2, duplicates: 0, rejected: [], highestStoredSeq: 2 });
      expect(await count('positions', v.deviceId)).toBe(2);
      expect(await knex('events').where({ vehicle_id: v.vehicleId })).toEqual([]);
      // The vehicle's state moved all the same: consoles see it online, where it is.
      expect(running.server.live.state(v.vehicleId)).toMatchObject({
        online: true,
        position: { t: t + 1 },
      });
      await eventually(
        () =>
          feed.updates
            .flatMap((m) => [...m.updates, ...(m.added ?? [])])
            .find((u) => u.id === v.vehicleId && u.online === true),
        3000,
        'the vehicle on the console',
      );
    } finally {
      if (target.name === 'sqlite') await knex.raw('DROP TRIGGER events_out_of_step');
      else {
        await knex.raw('DROP TRIGGER events_out_of_step ON events');
        await knex.raw('DROP FUNCTION events_out_of_step()');
      }
    }
    // Once the table takes rows again, samples are stored with their state
    // as usual; the device_online the table refused stays lost (logged).
    expect(ack(await sendBatch(v.socket, [position({ seq: 3, t: t + 2 })]))).toMatchObject({
      stored: 1,
      rejected: [],
    });
    expect(await count('positions', v.deviceId)).toBe(3);
    expect(running.server.live.state(v.vehicleId)?.position?.t).toBe(t + 2);
  });

  it('a vehicle deleted straight from the database loses its device session and leaves the consoles', async () => {
    const gone = await freshDevice('GONE2');
    const kept = await freshDevice('KEPT2');
    ack(await sendBatch(gone.socket, [position({ seq: 1, t: Date.now() })]));
    const feed = await connectConsole(running.url, {
      token: await login(running.url, s.admin),
    });
    expect(feed.snapshots[0]!.vehicles.map((v) => v.id)).toContain(gone.vehicleId);
    const ended = new Promise((resolve) => gone.socket.once('session:end', resolve));

    await running.server.db.knex('vehicles').where({ id: gone.vehicleId }).delete();
    await running.server.endDisallowedSessions();

    await expect(ended).resolves.toEqual({ reason: 'revoked' });
    expect(running.server.live.has(gone.vehicleId)).toBe(false);
    await eventually(() =>
      feed.updates.some((m) => m.removed?.includes(gone.vehicleId)) ? true : undefined,
    );
    // The other device is untouched.
    expect(running.server.devices.connectedDeviceIds()).toContain(kept.deviceId);
    expect(ack(await sendBatch(kept.socket, [position({ seq: 1, t: Date.now() })])).stored).toBe(1);
  });

  if (target.name === 'postgres')
    it('replaces a PostgreSQL ingest thread that died, so later ticks still commit', async () => {
      const config = db.config as Extract<typeof db.config, { kind: 'postgres' }>;
      const replaced: string[] = [];
      const thread = new PgIngestThread({ url: config.url, schema: config.schema }, (message) =>
        replaced.push(message),
      );
      const probe = [{ statements: [{ sql: 'select 1 as one', params: [], returns: true }] }];
      try {
        expect(await thread.runSteps(probe)).toMatchObject({
          committed: true,
          rows: [[{ one: 1 }]],
        });
        // White box: the thread goes away as if it had crashed.
        await (thread as unknown as { rpc: { terminate(): Promise<void> } }).rpc.terminate();
        expect(replaced).toEqual([]);
        expect(await thread.runSteps(probe)).toMatchObject({
          committed: true,
          rows: [[{ one: 1 }]],
        });
        expect(replaced).toEqual(['the PostgreSQL ingest thread died; a new one takes over']);
        expect(thread.threadsReplaced).toBe(1);
      } finally {
        await thread.close();
      }
    });

  it('a replay mixed with new samples stores only the new ones and derives their events exactly once', async () => {
    const extra = await running.server.accounts.registerVehicle({
      name: 'Replay',
      fleetIds: [s.fleetA],
    });
    const { socket } = await connectDevice(running.url, extra.device.token);
    const t = Date.now();
    const first = [
      { kind: 'status' as const, seq: 1, t, ignition: false },
      { kind: 'status' as const, seq: 2, t: t + 1, ignition: true },
      { kind: 'dtc' as const, seq: 3, t: t + 2, dtcKind: 'stored' as const, codes: ['P0300'] },
    ];
    expect(ack(await sendBatch(socket, first))).toMatchObject({ stored: 3, duplicates: 0 });
    // The ack was lost: the device sends the same samples again, with two new ones.
    const replay = [
      ...first,
      { kind: 'status' as const, seq: 4, t: t + 3, ignition: false },
      {
        kind: 'dtc' as const,
        seq: 5,
        t: t + 4,
        dtcKind: 'stored' as const,
        codes: ['P0300', 'P0171'],
      },
    ];
    expect(ack(await sendBatch(socket, replay))).toMatchObject({
      stored: 2,
      duplicates: 3,
      ackSeq: 5,
    });
    const events = await running.server.db
      .knex('events')
      .where({ vehicle_id: extra.vehicle.id })
      .orderBy('id')
      .select<{ type: string; data: string }[]>('type', 'data');
    expect(events.map((e) => e.type)).toEqual([
      'ignition_on',
      'dtc_new',
      'device_online',
      'ignition_off',
      'dtc_new',
    ]);
    expect(
      events
        .filter((e) => e.type === 'dtc_new')
        .map((e) => (JSON.parse(e.data) as { code: string }).code),
    ).toEqual(['P0300', 'P0171']);
    const stored = await running.server.db
      .knex('device_statuses')
      .where({ device_id: extra.device.id })
      .count({ n: '*' })
      .first();
    expect(Number(stored?.n)).toBe(3);
  });

  it('a reconnecting device learns the highest sequence already stored', async () => {
    const v = s.vehiclesA[1]!;
    const { hello } = await connectDevice(running.url, v.token);
    expect(hello.highestStoredSeq).toBe(14);
  });

  it('rejects each invalid sample with its index, sequence and field, and stores the rest', async () => {
    const v = s.vehiclesB[0]!;
    const { socket } = await connectDevice(running.url, v.token);
    const t = Date.now();
    const reply = ack(
      await sendBatch(socket, [
        position({ seq: 1, t }),
        position({ seq: 2, t, lat: 91 }),
        { kind: 'reading', seq: 3, t, pid: 'rpm', value: 1, unit: 'rpm' },
        position({ seq: 4, t: t + 3_600_000 }),
        { kind: 'teleport', seq: 5, t },
        'not a sample',
        { kind: 'dtc', seq: 7, t, dtcKind: 'stored', codes: ['X1234'] },
        { kind: 'status', seq: 8, t },
        position({ seq: 9, t, lon: Number.NaN }),
        position({ seq: 1, t }),
        position({ seq: 11, t: 0 }),
        position({ seq: 12, t }),
        // A lone surrogate: PostgreSQL refuses it, SQLite would store other text than was sent.
        { kind: 'reading', seq: 13, t, pid: 0x0c, value: 1, unit: 'rpm\ud800' },
      ]),
    );
    expect(reply.stored).toBe(2);
    expect(reply.ackSeq).toBe(13);
    const byIndex = new Map(reply.rejected.map((r) => [r.index, r]));
    expect([...byIndex.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
    expect(byIndex.get(12)).toMatchObject({ seq: 13, field: 'unit' });
    expect(byIndex.get(12)?.reason).toMatch(/lone surrogate/);
    expect(byIndex.get(1)).toMatchObject({ seq: 2, field: 'lat' });
    expect(byIndex.get(2)).toMatchObject({ seq: 3, field: 'pid' });
    expect(byIndex.get(3)).toMatchObject({ seq: 4, field: 't' });
    expect(byIndex.get(3)?.reason).toMatch(/3600 s ahead/);
    expect(byIndex.get(4)).toMatchObject({ seq: 5, field: 'kind' });
    expect(byIndex.get(5)).toMatchObject({ seq: null, field: 'kind' });
    expect(byIndex.get(6)).toMatchObject({ seq: 7, field: 'codes.0' });
    expect(byIndex.get(7)?.reason).toMatch(
      /needs batteryV, ignition, gpsFix, obdLink, gpsReceiver or backlog/,
    );
    expect(byIndex.get(8)).toMatchObject({ seq: 9, field: 'lon' });
    expect(byIndex.get(9)).toMatchObject({ seq: 1, field: 'seq' });
    expect(byIndex.get(9)?.reason).toMatch(/sample 0/);
    expect(byIndex.get(10)).toMatchObject({ seq: 11, field: 't' });
    const seqs = (
      await running.server.db
        .knex('positions')
        .where({ device_id: v.deviceId })
        .orderBy('seq')
        .pluck('seq')
    ).map(Number);
    expect(seqs).toEqual([1, 12]);
  });

  it('refuses a batch that is not a batch, or holds too many samples, storing nothing', async () => {
    const v = s.vehiclesB[1]!;
    const { socket } = await connectDevice(running.url, v.token);
    expect(
      refusal((await socket.timeout(5000).emitWithAck('telemetry', 'junk' as never)) as BatchReply),
    ).toMatchObject({ type: 'batch-malformed' });
    expect(
      refusal(
        (await socket
          .timeout(5000)
          .emitWithAck('telemetry', { samples: 5 } as never)) as BatchReply,
      ),
    ).toMatchObject({
      type: 'batch-malformed',
      errors: [{ path: 'samples' }],
    });
    const tooMany = Array.from({ length: 1001 }, (_, i) => position({ seq: 100 + i }));
    const error = refusal(await sendBatch(socket, tooMany));
    expect(error.type).toBe('batch-too-large');
    expect(error.message).toMatch(/1001 samples/);
    expect(await count('positions', v.deviceId)).toBe(0);
    // The connection is still usable.
    expect(ack(await sendBatch(socket, [position({ seq: 5000 })])).stored).toBe(1);
  });

  it('refuses an unknown token and a malformed handshake with a clear error', async () => {
    await expect(connectDevice(running.url, 'fld_' + 'A'.repeat(43))).rejects.toMatchObject({
      body: { type: 'device-token-invalid' },
    });
    await expect(connectDevice(running.url, 'nonsense')).rejects.toMatchObject({
      body: { type: 'device-token-invalid' },
    });
  });

  it('refuses a revoked token, and ends the session of a device revoked while connected', async () => {
    const extra = await running.server.accounts.registerVehicle({
      name: 'Spare',
      fleetIds: [s.fleetA],
    });
    const { socket } = await connectDevice(running.url, extra.device.token);
    const ended = new Promise((resolve) => socket.once('session:end', resolve));
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    await running.server.accounts.revokeDevice(extra.device.id);
    await expect(ended).resolves.toEqual({ reason: 'revoked' });
    await closed;
    await expect(connectDevice(running.url, extra.device.token)).rejects.toMatchObject({
      body: { type: 'device-token-revoked' },
    });
  });

  it('tells whether a device token is still accepted, and finds vehicles by plate', async () => {
    const extra = await running.server.accounts.registerVehicle({
      name: 'Probe',
      plate: 'PRB-1',
      fleetIds: [s.fleetA],
    });
    expect(await running.server.accounts.isDeviceTokenActive(extra.device.token)).toBe(true);
    expect(await running.server.accounts.findVehicleByPlate('PRB-1')).toEqual({
      id: extra.vehicle.id,
      name: 'Probe',
    });
    expect(await running.server.accounts.findVehicleByPlate('NOPE')).toBeUndefined();
    await running.server.accounts.revokeDevice(extra.device.id);
    expect(await running.server.accounts.isDeviceTokenActive(extra.device.token)).toBe(false);
    expect(await running.server.accounts.isDeviceTokenActive('fld_' + 'x'.repeat(43))).toBe(false);
    expect(await running.server.accounts.isDeviceTokenActive('garbage')).toBe(false);
  });

  it('replacing a device revokes the old token and the new one works', async () => {
    const extra = await running.server.accounts.registerVehicle({
      name: 'Swap',
      fleetIds: [s.fleetA],
    });
    const { socket } = await connectDevice(running.url, extra.device.token);
    const ended = new Promise((resolve) => socket.once('session:end', resolve));
    const replacement = await running.server.accounts.replaceDevice(extra.vehicle.id);
    await expect(ended).resolves.toEqual({ reason: 'replaced' });
    await expect(connectDevice(running.url, extra.device.token)).rejects.toMatchObject({
      body: { type: 'device-token-revoked' },
    });
    const { hello } = await connectDevice(running.url, replacement.token);
    expect(hello).toMatchObject({
      deviceId: replacement.id,
      vehicleId: extra.vehicle.id,
      highestStoredSeq: 0,
    });
  });
});
