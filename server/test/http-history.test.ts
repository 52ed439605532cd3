import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type {
  FleetEvent,
  PositionHistory,
  ProblemDetails,
  ReadingHistory,
  TripList,
} from '@fleetline/protocol';
import {
  api,
  closeClients,
  connectDevice,
  databaseTargets,
  position,
  sendBatch,
  startSeededServer,
} from './harness.js';
import type { RunningServer, Seed, SeededServer } from './harness.js';

// What the console reads back over REST: position and reading history,
// trips and the event log. The rest of the HTTP API is in http-api.test.ts.

const problem = (body: unknown) => body as ProblemDetails;

describe.each(databaseTargets())('history over HTTP on $name', (target) => {
  let seeded: SeededServer;
  let running: RunningServer;
  let s: Seed;
  let admin: string;
  let north: string;

  beforeAll(async () => {
    seeded = await startSeededServer(target);
    ({ running, seed: s, admin, north } = seeded);
  });
  afterEach(() => closeClients());
  afterAll(() => seeded?.close());

  describe('history', () => {
    const base = Date.UTC(2026, 10, 20, 8, 0, 0);
    beforeAll(async () => {
      const v = s.vehiclesA[0]!;
      const { socket } = await connectDevice(running.url, v.token);
      // One hour at 1 Hz: 3600 fixes, and a reading every second.
      for (let chunk = 0; chunk < 8; chunk++) {
        const samples = [];
        for (let i = chunk * 450; i < (chunk + 1) * 450; i++) {
          samples.push(
            position({
              seq: 2 * i + 1,
              t: base + i * 1000,
              lat: 59 + i / 10_000,
              speedKmh: i % 100,
            }),
          );
          samples.push({
            kind: 'reading' as const,
            seq: 2 * i + 2,
            t: base + i * 1000,
            pid: 0x05,
            value: i % 2 === 0 ? 80 : 90,
            unit: '°C',
          });
        }
        await sendBatch(socket, samples);
      }
      socket.close();
    });

    it('returns every fix of a short range, oldest first', async () => {
      const res = await api(
        running.url,
        `/api/vehicles/${s.vehiclesA[0]!.id}/positions?from=${base}&to=${base + 60_000}`,
        { token: north },
      );
      const body = res.body as PositionHistory;
      expect(body.downsampled).toBe(false);
      expect(body.points).toHaveLength(60);
      expect(body.points[0]).toMatchObject({ t: base, lat: 59, speedKmh: 0, fixQuality: 'gps' });
      expect(body.points.map((p) => p.t)).toEqual(
        [...body.points.map((p) => p.t)].sort((a, b) => a - b),
      );
    });

    it('downsamples a long range evenly in time, to at most maxPoints', async () => {
      const from = new Date(base).toISOString();
      const to = new Date(base + 3_600_000).toISOString();
      const res = await api(
        running.url,
        `/api/vehicles/${s.vehiclesA[0]!.id}/positions?from=${from}&to=${to}&maxPoints=100`,
        { token: north },
      );
      const body = res.body as PositionHistory;
      expect(body.downsampled).toBe(true);
      expect(body.bucketMs).toBe(36_000);
      expect(body.points).toHaveLength(100);
      expect(body.points.every((p, i) => p.t === base + i * 36_000)).toBe(true);
    });

    it('groups readings per PID and averages them when downsampled', async () => {
      const id = s.vehiclesA[0]!.id;
      const full = (
        await api(running.url, `/api/vehicles/${id}/readings?from=${base}&to=${base + 10_000}`, {
          token: north,
        })
      ).body as ReadingHistory;
      expect(full.series).toEqual([
        {
          pid: 5,
          part: 0,
          unit: '°C',
          points: Array.from({ length: 10 }, (_, i) => ({
            t: base + i * 1000,
            value: i % 2 === 0 ? 80 : 90,
          })),
        },
      ]);
      const thin = (
        await api(
          running.url,
          `/api/vehicles/${id}/readings?from=${base}&to=${base + 3_600_000}&maxPoints=60&pid=5`,
          { token: north },
        )
      ).body as ReadingHistory;
      expect(thin.downsampled).toBe(true);
      expect(thin.series[0]!.points).toHaveLength(60);
      expect(thin.series[0]!.points.every((p) => p.value === 85)).toBe(true);
    });

    it('refuses a reversed, too long or unparseable range', async () => {
      const id = s.vehiclesA[0]!.id;
      const reversed = await api(running.url, `/api/vehicles/${id}/positions?from=2000&to=1000`, {
        token: north,
      });
      expect(problem(reversed.body).errors).toEqual([
        { path: 'query.to', message: 'must be after from' },
      ]);
      const long = await api(
        running.url,
        `/api/vehicles/${id}/positions?from=0&to=${40 * 86_400_000}`,
        { token: north },
      );
      expect(problem(long.body).errors?.[0]?.message).toMatch(/31 days/);
      const junk = await api(running.url, `/api/vehicles/${id}/positions?from=yesterday&to=now`, {
        token: north,
      });
      expect(junk.status).toBe(400);
      expect(problem(junk.body).errors?.map((e) => e.path)).toEqual(['query.from', 'query.to']);
    });
  });

  describe('trips', () => {
    it('pairs the companion trip events into trips, leaving an unfinished one open', async () => {
      const extra = await running.server.accounts.registerVehicle({
        name: 'Tripper',
        fleetIds: [s.fleetA],
      });
      const { socket } = await connectDevice(running.url, extra.device.token);
      const t0 = Date.UTC(2026, 10, 20, 6, 0, 0);
      const harshBraking = async () =>
        (
          await api(running.url, `/api/events?vehicleId=${extra.vehicle.id}&type=harsh_braking`, {
            token: north,
          })
        ).body as { events: FleetEvent[] };
      const drive = (
        seq: number,
        t: number,
        event: string,
        extraFields: Record<string, unknown> = {},
      ) => ({
        kind: 'driving',
        seq,
        t,
        event,
        lat: 52.5,
        lon: 13.4,
        ...extraFields,
      });
      const reply = await sendBatch(socket, [
        drive(1, t0, 'trip_start'),
        drive(2, t0 + 60_000, 'harsh_braking', { accelMs2: -4.2, speedKmh: 38 }),
        drive(3, t0 + 1_800_000, 'trip_end', { durationS: 1800, distanceKm: 14.2, lat: 52.52 }),
        drive(4, t0 + 3_600_000, 'trip_start'),
      ]);
      expect(reply).toMatchObject({ ok: true, stored: 4 });
      const day = `from=${t0 - 3_600_000}&to=${t0 + 20 * 3_600_000}`;
      const trips = (
        await api(running.url, `/api/vehicles/${extra.vehicle.id}/trips?${day}`, { token: north })
      ).body as TripList;
      expect(trips.trips).toEqual([
        {
          startT: t0,
          endT: t0 + 1_800_000,
          durationS: 1800,
          distanceKm: 14.2,
          start: { lat: 52.5, lon: 13.4 },
          end: { lat: 52.52, lon: 13.4 },
        },
        {
          startT: t0 + 3_600_000,
          endT: null,
          durationS: null,
          distanceKm: null,
          start: { lat: 52.5, lon: 13.4 },
          end: null,
        },
      ]);
      const harsh = await harshBraking();
      expect(harsh.events).toHaveLength(1);
      expect(harsh.events[0]).toMatchObject({
        t: t0 + 60_000,
        data: { accelMs2: -4.2, speedKmh: 38, durationS: null },
      });
      // A replay stores nothing and repeats no event.
      expect(
        await sendBatch(socket, [
          drive(2, t0 + 60_000, 'harsh_braking', { accelMs2: -4.2, speedKmh: 38 }),
        ]),
      ).toMatchObject({
        stored: 0,
        duplicates: 1,
      });
      const again = await harshBraking();
      expect(again.events).toHaveLength(1);
      const bad = await sendBatch(socket, [drive(9, t0, 'teleport')]);
      expect(bad).toMatchObject({ stored: 0, rejected: [{ index: 0, field: 'event' }] });
    });
  });

  describe('event log', () => {
    it('filters by type and vehicle, pages backwards, and hides other fleets', async () => {
      const v = s.vehiclesB[0]!;
      const { socket } = await connectDevice(running.url, v.token);
      const t = Date.now();
      await sendBatch(socket, [
        { kind: 'status', seq: 1, t, ignition: true },
        { kind: 'status', seq: 2, t: t + 1, ignition: false },
        { kind: 'status', seq: 3, t: t + 2, ignition: true },
      ]);
      const adminLog = (
        await api(running.url, `/api/events?vehicleId=${v.id}&type=ignition_on,ignition_off`, {
          token: admin,
        })
      ).body as {
        events: FleetEvent[];
      };
      expect(adminLog.events.map((e) => e.type)).toEqual(['ignition_on', 'ignition_off']);
      const page = (
        await api(
          running.url,
          `/api/events?vehicleId=${v.id}&limit=1&before=${adminLog.events[0]!.id}`,
          { token: admin },
        )
      ).body as { events: FleetEvent[] };
      expect(page.events.map((e) => e.id)).toEqual([adminLog.events[1]!.id]);
      const northLog = (await api(running.url, '/api/events', { token: north })).body as {
        events: FleetEvent[];
      };
      expect(northLog.events.some((e) => e.vehicleId === v.id)).toBe(false);
      const badType = await api(running.url, '/api/events?type=explosion', { token: admin });
      expect(badType.status).toBe(400);
      for (const range of ['from=1&to=0', 'from=5&to=5']) {
        const reversed = await api(running.url, `/api/events?${range}`, { token: admin });
        expect(reversed.status, range).toBe(400);
        expect(problem(reversed.body).errors).toEqual([
          { path: 'query.to', message: 'must be after from' },
        ]);
      }
      const onlyTo = await api(running.url, '/api/events?to=0', { token: admin });
      expect(onlyTo.status).toBe(200);
    });
  });
});
