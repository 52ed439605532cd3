import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeClients, connectDevice, databaseTargets, position, sendBatch } from './harness.js';
import type { TestDatabase } from './harness.js';
import { envFor, finished, killChildren, runCli, spawnSource, waitForOutput } from './process.js';

describe.each(databaseTargets())('server process and CLI on $name', (target) => {
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await target.create();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-cli-'));
    env = envFor(db.config, dataDir);
  });
  afterEach(() => {
    closeClients();
    killChildren();
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves on first start with a printed admin login, takes devices registered by the CLI, and stops cleanly on Ctrl-C with a forwarded SIGTERM', async () => {
    const server = spawnSource('main.ts', [], { ...env, PORT: '0' });
    const done = finished(server);
    const [, url, email, password] = await waitForOutput(
      server,
      /running at (http:\/\/[\d.:]+)[\s\S]*email: +(\S+)\n +password: +(\S+)/,
    );
    expect(email).toBe('admin@fleetline.local');

    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);

    expect(
      (await runCli(['create-fleet', '--name', 'Depot', '--overspeed-limit', '80'], env)).stdout,
    ).toMatch(/created fleet "Depot" \(id \d+, overspeed limit 80 km\/h\)/);
    const registered = await runCli(
      ['register-vehicle', '--name', 'Truck 1', '--plate', 'TR1', '--fleet', 'Depot'],
      env,
    );
    expect(registered.code).toBe(0);
    const token = /device token.*: (fld_\S+)/.exec(registered.stdout)?.[1];
    expect(token).toBeDefined();

    // The running server accepts a device registered by another process.
    const { socket, hello } = await connectDevice(url!, token!);
    expect(await sendBatch(socket, [position({ seq: 1 })])).toMatchObject({ ok: true, stored: 1 });

    // Ctrl-C reaches the whole process group and npm (or the launcher) passes on a
    // signal of its own: one request, still a graceful stop.
    server.kill('SIGINT');
    server.kill('SIGTERM');
    const exit = await done;
    expect(exit.code).toBe(0);
    const again = await runCli(['migrate:status'], env);
    expect(again.stdout.trim()).toBe('up to date');
    expect(hello.vehicleId).toBeGreaterThan(0);
  });

  it('creates users and assigns drivers, refusing duplicates, fleetless members and unknown roles', async () => {
    const created = await runCli(
      [
        'create-user',
        '--email',
        'Disp@Example.test',
        '--name',
        'Disp',
        '--role',
        'dispatcher',
        '--fleet',
        'Depot',
      ],
      env,
    );
    expect(created.stdout).toMatch(/created dispatcher disp@example.test/);
    expect(created.stdout).toMatch(/password \(shown once\): \S{16}/);
    const duplicate = await runCli(
      [
        'create-user',
        '--email',
        'disp@example.test',
        '--name',
        'D',
        '--role',
        'dispatcher',
        '--fleet',
        'Depot',
      ],
      env,
    );
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/exists/);
    const fleetless = await runCli(
      ['create-user', '--email', 'lone@example.test', '--name', 'L', '--role', 'driver'],
      env,
    );
    expect(fleetless.code).toBe(1);
    expect(fleetless.stderr).toMatch(/fleetIds: a dispatcher or driver belongs to one fleet/);
    const badRole = await runCli(
      ['create-user', '--email', 'x@example.test', '--name', 'X', '--role', 'pilot'],
      env,
    );
    expect(badRole.code).toBe(64);
    expect(badRole.stderr).toMatch(/--role must be one of admin, dispatcher/);
    const driver = await runCli(
      [
        'create-user',
        '--email',
        'drv@example.test',
        '--name',
        'Dora Driver',
        '--role',
        'driver',
        '--fleet',
        'Depot',
      ],
      env,
    );
    expect(driver.code).toBe(0);
    const assigned = await runCli(
      ['assign-driver', '--vehicle', '1', '--user', 'drv@example.test'],
      env,
    );
    expect(assigned.stdout).toMatch(/vehicle 1 is now driven by Dora Driver/);
    const cleared = await runCli(['assign-driver', '--vehicle', '1', '--user', 'none'], env);
    expect(cleared.stdout).toMatch(/vehicle 1 has no driver now/);
  });

  // Apart from the test above: each spawns its own CLI processes, a few seconds each on a loaded machine.
  it('reports bad input with usage and exit codes', async () => {
    const unknownFleet = await runCli(
      ['register-vehicle', '--name', 'Y', '--fleet', 'Nowhere'],
      env,
    );
    expect(unknownFleet.stderr).toMatch(/no fleet "Nowhere"/);
    const hugeFleet = await runCli(
      ['register-vehicle', '--name', 'Y', '--fleet', '99999999999'],
      env,
    );
    expect(hugeFleet.stderr).toMatch(/no fleet "99999999999"/);
    const hugeDevice = await runCli(['revoke-device', '--device', '2147483648'], env);
    expect(hugeDevice.code).toBe(64);
    expect(hugeDevice.stderr).toMatch(/--device must be an id/);
    const unknownCommand = await runCli(['launch'], env);
    expect(unknownCommand.code).toBe(64);
    expect(unknownCommand.stderr).toMatch(/Usage: fleetline/);
    const badConfig = await runCli(['migrate:status'], {
      ...env,
      PORT: 'eighty',
      OFFLINE_AFTER_S: '1',
    });
    expect(badConfig.code).toBe(78);
    expect(badConfig.stderr).toMatch(/PORT: .*\n.*OFFLINE_AFTER_S/);
  });

  it('rolls every migration back and forward', async () => {
    const down = await runCli(['migrate:rollback', '--all'], env);
    expect(down.stdout).toMatch(/rolled back:[\s\S]*create_accounts/);
    expect((await runCli(['migrate:status'], env)).stdout).toMatch(/pending:[\s\S]*create_events/);
    expect((await runCli(['migrate'], env)).stdout).toMatch(/applied:[\s\S]*create_telemetry/);
  });
});
