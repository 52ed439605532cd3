import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleConfig, ProblemDetails } from '@fleetline/protocol';
import { databaseTargets, startServer, testConfig } from './harness.js';
import type { RunningServer, TestDatabase } from './harness.js';

describe('the web console site, CORS and console config', () => {
  const sqlite = databaseTargets()[0]!;
  let db: TestDatabase;
  let built: RunningServer;
  let unbuilt: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-console-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Fleetline</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    db = await sqlite.create();
    built = await startServer(
      testConfig(db.config, {
        consoleDir: dir,
        map: { mapboxToken: 'pk.test', styleUrl: 'https://tiles.example.org/style.json' },
      }),
    );
    const other = await sqlite.create();
    unbuilt = await startServer(testConfig(other.config));
  });
  afterAll(async () => {
    await built?.close();
    await unbuilt?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console with a strict content security policy and sends / there', async () => {
    const root = await fetch(`${built.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const page = await fetch(`${built.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Fleetline</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('https://api.mapbox.com');
    expect(csp).toContain('https://tiles.example.org');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${built.url}/console/assets/app-1a2b.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it("falls back to index.html for the console's own routes, but not for missing files", async () => {
    const deep = await fetch(`${built.url}/console/vehicles/12/history`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('Fleetline');
    const missing = await fetch(`${built.url}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
  });

  it('says clearly when the console is not built', async () => {
    const res = await fetch(`${unbuilt.url}/console/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as ProblemDetails).detail).toMatch(/not built: run `npm run build`/);
  });

  it('hands consoles the map settings without a login', async () => {
    const res = await fetch(`${built.url}/api/config`);
    expect((await res.json()) as ConsoleConfig).toEqual({
      map: { mapboxToken: 'pk.test', styleUrl: 'https://tiles.example.org/style.json' },
      retention: { telemetryDays: null, eventDays: null },
      version: '0.1.0',
    });
  });

  it("lets the desktop console's origin call the API, and no other", async () => {
    const preflight = await fetch(`${built.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: {
        origin: 'fleetline://app',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('fleetline://app');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const foreign = await fetch(`${built.url}/api/config`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
