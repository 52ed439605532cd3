import { afterEach, describe, expect, it } from 'vitest';
import type { BatchReply } from '@fleetline/protocol';
import {
  closeClients,
  connectConsole,
  connectDevice,
  databaseTargets,
  login,
  position,
  seed,
  sendBatch,
  startServer,
  testConfig,
} from './harness.js';

describe.each(databaseTargets())('server lifecycle on $name', (target) => {
  afterEach(() => closeClients());

  it('a graceful stop commits and acknowledges pending batches, refuses new ones, and a restart resumes the same picture', async () => {
    const db = await target.create();
    try {
      // A long tick keeps the batch pending until the stop flushes it.
      const config = testConfig(db.config, { ingestFlushMs: 5000 });
      const first = await startServer(config);
      const s = await seed(first.server, 1);
      const v = s.vehiclesA[0]!;
      const { socket } = await connectDevice(first.url, v.token);
      const t = Date.now();
      const pending = sendBatch(socket, [
        {
          kind: 'status',
          seq: 1,
          t,
          ignition: true,
          batteryV: 14,
          obdLink: 'polling',
          gpsReceiver: 'fix',
          backlog: 42,
        },
        position({ seq: 2, t: t + 1, lat: 48.1, lon: 11.5, speedKmh: 50 }),
        { kind: 'dtc', seq: 3, t: t + 2, dtcKind: 'stored', codes: ['P0171'] },
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(Number((await first.server.db.knex('positions').count({ n: '*' }).first())?.n)).toBe(
        0,
      );

      const stopping = first.close();
      const reply = await pending;
      expect(reply).toMatchObject({ ok: true, stored: 3, ackSeq: 3 });
      await stopping;

      const second = await startServer(testConfig(db.config));
      try {
        const again = await connectDevice(second.url, v.token);
        expect(again.hello.highestStoredSeq).toBe(3);
        const token = await login(second.url, s.dispatcherA);
        const console = await connectConsole(second.url, { token });
        const snapshot = console.snapshots[0]!.vehicles.find((x) => x.id === v.id)!;
        expect(snapshot).toMatchObject({
          online: true,
          position: { lat: 48.1, lon: 11.5, speedKmh: 50 },
          status: {
            ignition: true,
            batteryV: 14,
            obdLink: 'polling',
            gpsReceiver: 'fix',
            backlog: 42,
          },
          dtcs: [{ kind: 'stored', codes: ['P0171'] }],
        });
        // The same state again is no news: no second ignition_on, no second dtc_new.
        await sendBatch(again.socket, [
          { kind: 'status', seq: 4, t: t + 10, ignition: true, obdLink: 'unreachable' },
          { kind: 'dtc', seq: 5, t: t + 11, dtcKind: 'stored', codes: ['P0171'] },
        ]);
        const types = (await second.server.db
          .knex('events')
          .where({ vehicle_id: v.id })
          .orderBy('id')
          .pluck('type')) as string[];
        expect(types).toEqual(['dtc_new', 'device_online']);
        // A status sample carries what it measured; the rest of the health is kept.
        const state = await second.server.db
          .knex('vehicle_states')
          .where({ vehicle_id: v.id })
          .first<Record<string, unknown>>();
        expect(state).toMatchObject({ obd_link: 'unreachable', gps_receiver: 'fix' });
        expect(Number(state?.backlog)).toBe(42);

        second.server.devices.stopAccepting();
        const refused: BatchReply = await sendBatch(again.socket, [position({ seq: 6 })]);
        expect(refused).toMatchObject({ error: { type: 'shutting-down' } });
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
