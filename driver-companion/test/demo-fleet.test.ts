import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoFleet } from '../src/index.js';
import type { DemoFleet } from '../src/index.js';
import { createLogger } from '../src/util/logger.js';
import { eventually, registerVehicle, startTestServer, storedSamples } from './support/server.js';
import type { TestServer } from './support/server.js';

let server: TestServer | null = null;
let fleet: DemoFleet | null = null;
let dataDir: string | null = null;

afterEach(async () => {
  await fleet?.stop();
  await server?.stop();
  if (server) fs.rmSync(server.dir, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  fleet = null;
  server = null;
  dataDir = null;
});

describe('startDemoFleet', () => {
  it('runs one real companion per vehicle, each with its own outbox, and every vehicle reaches the server', async () => {
    server = await startTestServer();
    const registered = [];
    for (const name of ['Demo 1', 'Demo 2', 'Demo 3', 'Demo 4']) {
      registered.push({ name, ...(await registerVehicle(server.server, name)) });
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-demo-'));
    fleet = await startDemoFleet({
      serverUrl: server.url,
      vehicles: registered.map((v) => ({ name: v.name, token: v.token })),
      city: 'paris',
      dataDir,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      gpsHz: 2,
    });
    expect(fleet.companions).toHaveLength(4);
    await eventually(
      () => {
        const status = fleet?.status();
        return status && status.connected === 4 && status.vehicles.every((v) => v.stored > 20)
          ? status
          : undefined;
      },
      30_000,
      'every demo vehicle to deliver samples',
    );
    const status = fleet.status();
    expect(status.vehicles.map((v) => v.obd)).toEqual(['polling', 'polling', 'polling', 'polling']);
    expect(status.vehicles.map((v) => v.gps)).toEqual(['fix', 'fix', 'fix', 'fix']);
    // Paris, not Berlin: the routes are where they were asked to be.
    for (const v of status.vehicles) expect(Math.abs(v.position.lat - 48.86)).toBeLessThan(0.1);
    expect(fs.readdirSync(dataDir).sort()).toEqual([
      '001-demo-1',
      '002-demo-2',
      '003-demo-3',
      '004-demo-4',
    ]);
    for (const v of registered) {
      const kinds = new Set(storedSamples(server.dbFile, v.deviceId).map((s) => s.kind));
      expect([...kinds]).toEqual(expect.arrayContaining(['position', 'reading', 'status']));
    }
    // Each companion told the server how its devices and its outbox are (the first
    // report goes out a second after start, while the devices may still be connecting).
    for (const v of registered) {
      const health = storedSamples(server.dbFile, v.deviceId).filter(
        (s) => s.kind === 'status' && s.obdLink != null,
      );
      expect(health.length).toBeGreaterThan(0);
      for (const s of health) {
        if (s.kind !== 'status') continue;
        expect(['connecting', 'polling']).toContain(s.obdLink);
        expect(['connecting', 'no_fix', 'fix']).toContain(s.gpsReceiver);
        expect(s.backlog).toEqual(expect.any(Number));
      }
    }
    await fleet.stop();
    expect(fleet.companions.every((c) => c.status().uplink.state === 'stopped')).toBe(true);
    fleet = null;
  });
});
