import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompanionProcess, freePort, killChildren, runCommand } from '../support/process.js';
import type { LogLine } from '../support/process.js';
import { registerVehicle, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

let server: TestServer | null = null;
let dataDir: string | null = null;

afterEach(async () => {
  killChildren();
  await server?.stop().catch(() => undefined);
  if (server) fs.rmSync(server.dir, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  server = null;
  dataDir = null;
});

const msg = (text: string) => (line: LogLine) => line.msg === text;

interface HealthBody {
  health: string;
  uplink: { state: string; refusal: { type: string } | null };
  problems: { severity: string; area: string; message: string }[];
}

describe('a revoked device token', () => {
  it(
    'stops the companion from retrying, and shows in the health endpoint and in doctor, running or not',
    { timeout: 180_000 },
    async () => {
      server = await startTestServer();
      const vehicle = await registerVehicle(server.server, 'Revoked 1');
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-revoked-'));
      const healthPort = await freePort();
      const configFile = path.join(dataDir, 'config.json');
      fs.writeFileSync(
        configFile,
        JSON.stringify({
          name: 'revoked',
          server: { url: server.url, tokenFile: 'token' },
          devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
          storage: { dataDir: 'state' },
          uplink: { reconnectMinS: 0.1, reconnectMaxS: 0.3 },
          health: { port: healthPort },
        }),
      );
      fs.writeFileSync(path.join(dataDir, 'token'), `${vehicle.token}\n`);

      const companion = new CompanionProcess(['run', '--config', configFile]);
      await companion.waitForLog(msg('uplink session started'), 30_000);
      await server.server.accounts.revokeDevice(vehicle.deviceId);
      const refused = await companion.waitForLog(
        msg(
          'the server refused the device token; not retrying with it (samples stay in the outbox)',
        ),
      );
      expect(refused.type).toBe('device-token-revoked');

      // The health endpoint says so, with a failing status code for watchdogs.
      await companion.waitForLog(msg('health endpoint listening'), 10_000);
      const response = await fetch(`http://127.0.0.1:${healthPort}/health`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as HealthBody;
      expect(body.health).toBe('failing');
      expect(body.uplink).toMatchObject({
        state: 'refused',
        refusal: { type: 'device-token-revoked' },
      });
      expect(body.problems.find((p) => p.area === 'uplink')?.message).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+ refused the device token \(device-token-revoked\).*replace-device/,
      );

      // Never retried: no new connection attempt while we watch.
      const attempts = companion.count(msg('connecting'));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(companion.count(msg('connecting'))).toBe(attempts);
      expect(server.server.devices.connected).toBe(0);

      // doctor with the daemon running reads its health and leaves its connection alone.
      const whileRunning = await runCommand(['doctor', '--config', configFile]);
      expect(whileRunning.code).toBe(1);
      expect(whileRunning.stdout).toMatch(/running \(pid \d+/);
      expect(whileRunning.stdout).toMatch(
        /FAIL {2}server: http:\/\/127\.0\.0\.1:\d+ refused the token \(device-token-revoked\)/,
      );
      expect(whileRunning.stdout).toMatch(/fix: .*replace-device/);
      expect(server.server.devices.connected).toBe(0);

      // Ctrl-C under npm or npx: the process group's SIGINT and a forwarded signal are one
      // request to stop, and the stop is still a clean one.
      companion.child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 100));
      companion.child.kill('SIGTERM');
      expect((await companion.exited).code).toBe(0);

      // doctor without a daemon asks the server itself, once, and says what to do.
      const standalone = await runCommand(['doctor', '--config', configFile]);
      expect(standalone.code).toBe(1);
      expect(standalone.stdout).toMatch(/ok {4}server: .* answers \(HTTP 200/);
      expect(standalone.stdout).toMatch(
        /FAIL {2}device token: refused by the server: device-token-revoked/,
      );
      expect(standalone.stdout).toMatch(/fix: the token was revoked or replaced/);

      // A restart with the same token does not even try.
      const restarted = new CompanionProcess(['run', '--config', configFile]);
      await restarted.waitForLog(
        msg(
          'the server refused this device token before; not connecting (run doctor, install a new token)',
        ),
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(restarted.count(msg('connecting'))).toBe(0);
      const again = (await (
        await fetch(`http://127.0.0.1:${healthPort}/health`)
      ).json()) as HealthBody;
      expect(again.uplink.state).toBe('refused');

      // forget-refusal leaves the outbox of a running daemon alone.
      const forget = await runCommand(['forget-refusal', '--config', configFile]);
      expect(forget.code).toBe(1);
      expect(forget.stderr).toMatch(
        /a companion \(pid \d+, "revoked"\) holds .*; nothing was removed\. Stop it/,
      );
      expect(restarted.child.pid).toBe(
        Number(/\(pid (\d+)/.exec(forget.stderr)?.[1] ?? Number.NaN),
      );
      restarted.child.kill('SIGTERM');
      await restarted.exited;

      // A new token is a new start.
      const replacement = await server.server.accounts.replaceDevice(vehicle.vehicleId);
      fs.writeFileSync(path.join(dataDir, 'token'), replacement.token);
      const healthy = await runCommand(['doctor', '--config', configFile]);
      expect(healthy.stdout).toMatch(/ok {4}device token: accepted: device \d+/);
      expect(healthy.stdout).toMatch(/OBD adapter: not configured/);
      expect(healthy.code).toBe(0);
    },
  );
});
