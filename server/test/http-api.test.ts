import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProblemDetails } from '@fleetline/protocol';
import { isSqliteThreadConnection } from '../src/db/sqlite-thread/client.js';
import {
  PASSWORD,
  api,
  closeClients,
  connectDevice,
  databaseTargets,
  login,
  startSeededServer,
} from './harness.js';
import type { RunningServer, Seed, SeededServer } from './harness.js';

const problem = (body: unknown) => body as ProblemDetails;

describe.each(databaseTargets())('HTTP API on $name', (target) => {
  let seeded: SeededServer;
  let running: RunningServer;
  let s: Seed;
  let admin: string;
  let north: string;
  let driver: string;

  beforeAll(async () => {
    seeded = await startSeededServer(target);
    ({ running, seed: s, admin, north, driver } = seeded);
  });
  afterEach(() => closeClients());
  afterAll(() => seeded?.close());

  it('reports health with a database round trip', async () => {
    const res = await api(running.url, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      database: 'ok',
      databaseThreadsReplaced: 0,
      version: '0.1.0',
    });
  });

  if (target.name === 'sqlite')
    it('stays healthy after its SQLite thread dies, and counts the replacement', async () => {
      const client = running.server.db.knex.client as unknown as {
        acquireConnection(): Promise<unknown>;
        releaseConnection(connection: unknown): Promise<void>;
      };
      const connection = await client.acquireConnection();
      if (!isSqliteThreadConnection(connection)) throw new Error('expected the SQLite thread');
      // As if the thread had crashed between two requests.
      await connection.terminate();
      await client.releaseConnection(connection);

      const res = await api(running.url, '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', database: 'ok', databaseThreadsReplaced: 1 });
      // And the API answers from the new thread.
      const snapshot = await api(running.url, '/api/fleet/snapshot', { token: admin });
      expect(snapshot.status).toBe(200);
    });

  describe('authentication', () => {
    it('logs in, reports the current user, and logs out', async () => {
      const res = await fetch(`${running.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: '  NORTH@example.test ', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/^fleetline_session=fls_/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const session = (await res.json()) as { token: string };
      const me = await api(running.url, '/api/auth/me', { token: session.token });
      expect(me.body).toEqual({
        id: expect.any(Number) as number,
        email: 'north@example.test',
        name: 'north',
        role: 'dispatcher',
        fleetIds: [s.fleetA],
      });
      // The cookie alone authenticates too (a browser console).
      const viaCookie = await fetch(`${running.url}/api/auth/me`, {
        headers: { cookie: cookie.split(';')[0]! },
      });
      expect(viaCookie.status).toBe(200);
      expect(
        (await api(running.url, '/api/auth/logout', { token: session.token, method: 'POST' }))
          .status,
      ).toBe(204);
      const after = await api(running.url, '/api/auth/me', { token: session.token });
      expect(after.status).toBe(401);
      expect(problem(after.body).type).toBe('/problems/unauthenticated');
    });

    it('answers a wrong password and an unknown email the same way', async () => {
      const wrong = await api(running.url, '/api/auth/login', {
        body: { email: s.dispatcherB, password: 'nope' },
      });
      const unknown = await api(running.url, '/api/auth/login', {
        body: { email: 'ghost@example.test', password: 'nope' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(problem(wrong.body)).toMatchObject({
        type: '/problems/invalid-credentials',
        status: 401,
      });
    });

    it('lets no more than ten guesses at one account through, even sent all at once', async () => {
      const email = 'parallel@example.test';
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          api(running.url, '/api/auth/login', { body: { email, password: `guess ${i}` } }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    });

    it('locks an account out after repeated failures, with Retry-After', async () => {
      const email = 'south@example.test';
      for (let i = 0; i < 10; i++)
        await api(running.url, '/api/auth/login', { body: { email, password: `guess ${i}` } });
      const locked = await api(running.url, '/api/auth/login', {
        body: { email, password: PASSWORD },
      });
      expect(locked.status).toBe(429);
      expect(problem(locked.body).type).toBe('/problems/rate-limited');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('hostile and malformed requests', () => {
    it('answers a path with broken percent-encoding with 400, signed in or not, never 500', async () => {
      for (const [path, token] of [
        ['/api/vehicles/%E0/positions?from=1&to=2', undefined],
        ['/api/vehicles/%E0/positions?from=1&to=2', admin],
        ['/problems/%E0', undefined],
      ] as const) {
        const response = await api(running.url, path, { token });
        expect(response.status, path).toBe(400);
        expect(problem(response.body).type).toBe('/problems/validation-failed');
      }
      const revoke = await api(running.url, '/api/admin/devices/%zz/revoke', {
        token: admin,
        body: {},
      });
      expect(revoke.status).toBe(400);
    });

    it('refuses malformed JSON, wrong types, unknown fields, other media types and oversized bodies', async () => {
      const malformed = await api(running.url, '/api/auth/login', {
        rawBody: '{"email": "a@b.c", ',
      });
      expect(malformed.status).toBe(400);
      expect(problem(malformed.body)).toMatchObject({
        type: '/problems/malformed-json',
        title: 'The body is not valid JSON',
      });
      expect(malformed.headers.get('content-type')).toMatch(/application\/problem\+json/);

      const wrongTypes = await api(running.url, '/api/auth/login', {
        body: { email: 42, password: ['x'] },
      });
      expect(wrongTypes.status).toBe(400);
      expect(problem(wrongTypes.body).type).toBe('/problems/validation-failed');
      expect(
        problem(wrongTypes.body)
          .errors?.map((e) => e.path)
          .sort(),
      ).toEqual(['email', 'password']);

      const extra = await api(running.url, '/api/admin/fleets', {
        token: admin,
        body: { name: 'X', isAdmin: true },
      });
      expect(extra.status).toBe(400);
      expect(problem(extra.body).errors).toEqual([
        { path: '', message: expect.stringMatching(/isAdmin/) as string },
      ]);

      const form = await api(running.url, '/api/auth/login', {
        rawBody: 'email=a&password=b',
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      expect(problem(form.body).type).toBe('/problems/unsupported-media-type');

      const huge = await api(running.url, '/api/auth/login', {
        rawBody: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(300_000) }),
      });
      expect(huge.status).toBe(413);
      expect(problem(huge.body).type).toBe('/problems/payload-too-large');
    });

    it('answers unknown routes and ids with problem details, never a stack trace', async () => {
      const missing = await api(running.url, '/api/nothing-here', { token: admin });
      expect(missing.status).toBe(404);
      expect(problem(missing.body).type).toBe('/problems/not-found');
      const badId = await api(running.url, '/api/vehicles/abc/positions?from=0&to=1', {
        token: admin,
      });
      expect(badId.status).toBe(400);
      expect(problem(badId.body).errors?.[0]?.path).toBe('params.vehicleId');
      expect(JSON.stringify(badId.body)).not.toMatch(/at .*\.ts:\d+/);
    });

    it('refuses ids no database column can hold, wherever they come from', async () => {
      const tooBig = 2_147_483_648;
      const paths = async (
        pathname: string,
        options: Parameters<typeof api>[2] = {},
      ): Promise<string[]> => {
        const res = await api(running.url, pathname, { token: admin, ...options });
        expect(res.status, pathname).toBe(400);
        expect(problem(res.body).type).toBe('/problems/validation-failed');
        return problem(res.body).errors?.map((e) => e.path) ?? [];
      };
      expect(await paths(`/api/vehicles/${tooBig}/positions?from=1&to=10`)).toEqual([
        'params.vehicleId',
      ]);
      expect(await paths(`/api/vehicles/${tooBig}/trips?from=1&to=10`)).toEqual([
        'params.vehicleId',
      ]);
      expect(await paths(`/api/admin/devices/${tooBig}/revoke`, { method: 'POST' })).toEqual([
        'params.deviceId',
      ]);
      expect(await paths(`/api/admin/vehicles/${tooBig}/device`, { method: 'POST' })).toEqual([
        'params.vehicleId',
      ]);
      expect(
        await paths(`/api/admin/vehicles/${s.vehiclesA[0]!.id}/driver`, {
          method: 'PUT',
          body: { userId: tooBig },
        }),
      ).toEqual(['userId']);
      expect(await paths('/api/events?vehicleId=99999999999')).toEqual(['query.vehicleId']);
      expect(await paths('/api/events?before=9999999999999')).toEqual(['query.before']);
      expect(await paths('/api/events?vehicleId=0x10')).toEqual(['query.vehicleId']);
      expect(await paths('/api/fleet/snapshot?fleetIds=1,99999999999')).toEqual([
        'query.fleetIds.1',
      ]);
      expect(
        await paths('/api/admin/vehicles', { body: { name: 'x', fleetIds: [99_999_999_999] } }),
      ).toEqual(['fleetIds.0']);
      expect(
        await paths('/api/admin/vehicles', {
          body: { name: 'x', fleetIds: [s.fleetA], driverUserId: tooBig },
        }),
      ).toEqual(['driverUserId']);
      expect(
        await paths('/api/admin/users', {
          body: {
            email: 'big@example.test',
            name: 'Big',
            password: 'long enough password',
            role: 'dispatcher',
            fleetIds: [tooBig],
          },
        }),
      ).toEqual(['fleetIds.0']);
      // The largest id a column holds is an id like any other: unknown, so not found.
      const largest = await api(running.url, '/api/vehicles/2147483647/positions?from=1&to=10', {
        token: admin,
      });
      expect(largest.status).toBe(404);
    });

    it('refuses control characters in names and plates', async () => {
      const fleet = await api(running.url, '/api/admin/fleets', {
        token: admin,
        body: { name: 'Null\u0000fleet' },
      });
      expect(fleet.status).toBe(400);
      expect(problem(fleet.body).errors).toEqual([
        { path: 'name', message: 'must not contain control characters' },
      ]);
      const user = await api(running.url, '/api/admin/users', {
        token: admin,
        body: {
          email: 'ctl@example.test',
          name: 'Line\nbreak',
          password: 'a password with a \u0000 is hashed, not stored',
          role: 'dispatcher',
          fleetIds: [s.fleetA],
        },
      });
      expect(problem(user.body).errors?.map((e) => e.path)).toEqual(['name']);
      const vehicle = await api(running.url, '/api/admin/vehicles', {
        token: admin,
        body: { name: 'Van\u0000', plate: 'AB\u007f12', fleetIds: [s.fleetA] },
      });
      expect(vehicle.status).toBe(400);
      expect(problem(vehicle.body).errors?.map((e) => e.path)).toEqual(['name', 'plate']);
      // Outer spaces are still trimmed; spaces inside a name are fine.
      const spaced = await api(running.url, '/api/admin/fleets', {
        token: admin,
        body: { name: '  West  Side ' },
      });
      expect(spaced.body).toMatchObject({ name: 'West  Side' });
    });

    it('refuses a body whose content encoding is corrupt as a client error', async () => {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await fetch(`${running.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body: '{"a":1}',
        });
        expect(res.status, encoding).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(problem(await res.json())).toMatchObject({
          type: '/problems/malformed-body',
          status: 400,
        });
      }
      const described = await api(running.url, '/problems/malformed-body');
      expect(described.status).toBe(200);
    });

    it('each problem type resolves to its description', async () => {
      const res = await api(running.url, '/problems/forbidden-fleet');
      expect(res.body).toEqual({
        type: '/problems/forbidden-fleet',
        slug: 'forbidden-fleet',
        status: 403,
        title: 'You may not see this fleet',
      });
    });
  });

  describe('access control', () => {
    it('keeps every non-public route behind authentication and roles', async () => {
      for (const path of ['/api/fleets', '/api/fleet/snapshot', '/api/events', '/api/auth/me']) {
        expect((await api(running.url, path)).status).toBe(401);
      }
      expect((await api(running.url, '/api/fleets', { token: driver })).status).toBe(403);
      const asDispatcher = await api(running.url, '/api/admin/vehicles', {
        token: north,
        body: { name: 'x', fleetIds: [s.fleetA] },
      });
      expect(asDispatcher.status).toBe(403);
      expect(problem(asDispatcher.body).type).toBe('/problems/forbidden');
    });

    it('shows a dispatcher only their fleets and hides other fleets vehicles as not found', async () => {
      const fleets = await api(running.url, '/api/fleets', { token: north });
      expect(fleets.body).toEqual({
        fleets: [{ id: s.fleetA, name: 'North', overspeedLimitKmh: 90 }],
      });
      const snapshot = await api(running.url, '/api/fleet/snapshot', { token: north });
      expect((snapshot.body as { vehicles: { id: number }[] }).vehicles.map((v) => v.id)).toEqual([
        s.vehiclesA[0]!.id,
      ]);
      const forbidden = await api(running.url, `/api/fleet/snapshot?fleetIds=${s.fleetB}`, {
        token: north,
      });
      expect(forbidden.status).toBe(403);
      expect(problem(forbidden.body).type).toBe('/problems/forbidden-fleet');
      const hidden = await api(
        running.url,
        `/api/vehicles/${s.vehiclesB[0]!.id}/positions?from=0&to=1000`,
        { token: north },
      );
      expect(hidden.status).toBe(404);
    });
  });

  describe('admin', () => {
    it('creates a fleet, a user and a vehicle whose device token is shown once and works', async () => {
      const fleet = await api(running.url, '/api/admin/fleets', {
        token: admin,
        body: { name: 'East', overspeedLimitKmh: 70 },
      });
      expect(fleet.status).toBe(201);
      const fleetId = (fleet.body as { id: number }).id;
      const dup = await api(running.url, '/api/admin/fleets', {
        token: admin,
        body: { name: 'East' },
      });
      expect(dup.status).toBe(409);

      const user = await api(running.url, '/api/admin/users', {
        token: admin,
        body: {
          email: 'east@example.test',
          name: 'East desk',
          password: 'long enough password',
          role: 'fleet_manager',
          fleetIds: [fleetId],
        },
      });
      expect(user.status).toBe(201);
      const weak = await api(running.url, '/api/admin/users', {
        token: admin,
        body: { email: 'weak@example.test', name: 'Weak', password: 'short', role: 'dispatcher' },
      });
      expect(problem(weak.body).errors?.[0]?.path).toBe('password');
      const ghostFleet = await api(running.url, '/api/admin/users', {
        token: admin,
        body: {
          email: 'ghost@example.test',
          name: 'G',
          password: 'long enough password',
          role: 'dispatcher',
          fleetIds: [9999],
        },
      });
      expect(problem(ghostFleet.body).errors).toEqual([
        { path: 'fleetIds', message: 'unknown fleet 9999' },
      ]);
      for (const role of ['dispatcher', 'driver']) {
        for (const fleetIds of [[], undefined]) {
          const fleetless = await api(running.url, '/api/admin/users', {
            token: admin,
            body: {
              email: `fleetless-${role}@example.test`,
              name: 'Nobody',
              password: 'long enough password',
              role,
              ...(fleetIds ? { fleetIds } : {}),
            },
          });
          expect(fleetless.status, role).toBe(400);
          expect(problem(fleetless.body).errors).toEqual([
            { path: 'fleetIds', message: 'a dispatcher or driver belongs to one fleet at least' },
          ]);
        }
      }
      const fleetlessVehicle = await api(running.url, '/api/admin/vehicles', {
        token: admin,
        body: { name: 'Van 0', fleetIds: [] },
      });
      expect(fleetlessVehicle.status).toBe(400);
      expect(problem(fleetlessVehicle.body).errors?.map((e) => e.path)).toEqual(['fleetIds']);

      const vehicle = await api(running.url, '/api/admin/vehicles', {
        token: admin,
        body: { name: 'Van 7', plate: 'EAST7', vin: '1hgcm82633a004352', fleetIds: [fleetId] },
      });
      expect(vehicle.status).toBe(201);
      const registered = vehicle.body as {
        vehicle: { id: number; vin: string };
        device: { id: number; token: string };
      };
      expect(registered.vehicle.vin).toBe('1HGCM82633A004352');
      expect(registered.device.token).toMatch(/^fld_[A-Za-z0-9_-]{43}$/);
      const stored = await running.server.db
        .knex('devices')
        .where({ id: registered.device.id })
        .first<Record<string, unknown>>();
      expect(JSON.stringify(stored)).not.toContain(registered.device.token);
      const { hello } = await connectDevice(running.url, registered.device.token);
      expect(hello.vehicleId).toBe(registered.vehicle.id);

      const samePlate = await api(running.url, '/api/admin/vehicles', {
        token: admin,
        body: { name: 'Van 8', plate: 'EAST7', fleetIds: [fleetId] },
      });
      expect(samePlate.status).toBe(409);
      const badVin = await api(running.url, '/api/admin/vehicles', {
        token: admin,
        body: { name: 'Van 9', vin: 'IOQ', fleetIds: [fleetId] },
      });
      expect(problem(badVin.body).errors?.[0]?.path).toBe('vin');

      const driverUser = await api(running.url, '/api/admin/users', {
        token: admin,
        body: {
          email: 'ben@example.test',
          name: 'Ben Okafor',
          password: 'long enough password',
          role: 'driver',
          fleetIds: [fleetId],
        },
      });
      const driverId = (driverUser.body as { id: number }).id;
      const assigned = await api(
        running.url,
        `/api/admin/vehicles/${registered.vehicle.id}/driver`,
        {
          token: admin,
          method: 'PUT',
          body: { userId: driverId },
        },
      );
      expect(assigned.status).toBe(200);
      expect(assigned.body).toEqual({ driver: { id: driverId, name: 'Ben Okafor' } });
      const notADriver = await api(
        running.url,
        `/api/admin/vehicles/${registered.vehicle.id}/driver`,
        {
          token: admin,
          method: 'PUT',
          body: { userId: (user.body as { id: number }).id },
        },
      );
      expect(problem(notADriver.body).errors).toEqual([
        { path: 'userId', message: 'must be an active user with the driver role' },
      ]);
      const noVehicle = await api(running.url, '/api/admin/vehicles/99999/driver', {
        token: admin,
        method: 'PUT',
        body: { userId: null },
      });
      expect(noVehicle.status).toBe(404);
      const asDispatcherAssign = await api(
        running.url,
        `/api/admin/vehicles/${registered.vehicle.id}/driver`,
        {
          token: north,
          method: 'PUT',
          body: { userId: null },
        },
      );
      expect(asDispatcherAssign.status).toBe(403);

      const manager = await login(running.url, 'east@example.test', 'long enough password');
      const snapshot = (await api(running.url, '/api/fleet/snapshot', { token: manager })).body as {
        vehicles: { id: number; driver: unknown }[];
      };
      expect(snapshot.vehicles.map((v) => v.id)).toEqual([registered.vehicle.id]);
      expect(snapshot.vehicles[0]!.driver).toEqual({ id: driverId, name: 'Ben Okafor' });

      const revoke = await api(running.url, `/api/admin/devices/${registered.device.id}/revoke`, {
        token: admin,
        method: 'POST',
      });
      expect(revoke.status).toBe(204);
      const again = await api(running.url, `/api/admin/devices/${registered.device.id}/revoke`, {
        token: admin,
        method: 'POST',
      });
      expect(again.status).toBe(409);
      const replaced = await api(
        running.url,
        `/api/admin/vehicles/${registered.vehicle.id}/device`,
        { token: admin, method: 'POST' },
      );
      expect(replaced.status).toBe(201);
      expect((replaced.body as { token: string }).token).not.toBe(registered.device.token);
    });
  });
});
