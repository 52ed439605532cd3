import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, startDemoFleet } from '@fleetline/driver-companion';
import type { DemoFleet } from '@fleetline/driver-companion';
import type { Page } from 'playwright-core';
import { FIX_QUALITIES, describeTroubleCode } from '@fleetline/protocol';
import type { FleetSnapshotMessage } from '@fleetline/protocol';
import { launchChromium } from '../support/browser.js';
import {
  PASSWORD,
  recordEventsWhileDown,
  seedFleet,
  startTestServer,
  testServerConfig,
} from '../support/fleet-server.js';
import type { SeededFleet, TestServer } from '../support/fleet-server.js';
import { startFaultyVehicle } from '../support/faulty-vehicle.js';
import type { FaultyVehicle } from '../support/faulty-vehicle.js';
import { CONSOLE_DIR, ensureWebBuild } from '../support/web-build.js';

/** Screenshots of the main screens, for a person to look at after a run (git-ignored). */
const SCREENSHOTS = path.join(CONSOLE_DIR, 'test-artifacts/screenshots');
const VEHICLES = 6;
/** The last vehicle is not a demo one: its engine reports trouble codes (support/faulty-vehicle.ts). */
const FAULTY = { name: 'Van 06', codes: { stored: ['P0301', 'P0420'], pending: ['P0171'] } };
/** Events missed during the outage: more than a reconnect replays (the newest 1000). */
const MISSED_EVENTS = 1010;

/**
 * The web console in Debian's Chromium against the real server and the demo
 * fleet: real companions (driver-companion's startDemoFleet) reading
 * simulated ELM327 adapters and GPS receivers while they drive the demo city,
 * and one more built the same way whose engine reports trouble codes.
 * One story, in order: a dispatcher signs in, watches, opens a vehicle,
 * replays a trip, exports CSV, and sits through a server outage that
 * produced more events than a reconnect replays.
 */
describe('the web console, end to end', { timeout: 90_000 }, () => {
  let server: TestServer;
  let seeded: SeededFleet;
  let fleet: DemoFleet | undefined;
  let faulty: FaultyVehicle | undefined;
  let companionDir: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];
  /** What the browser logged as errors, with the URL it was about (a failed request's). */
  const consoleErrors: { text: string; url: string }[] = [];
  /** Ids of the events recorded while the server was down, oldest first. */
  let missed: number[] = [];

  beforeAll(async () => {
    const consoleDir = await ensureWebBuild();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer(testServerConfig({ consoleDir }));
    seeded = await seedFleet(server.server, VEHICLES);
    companionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-console-demo-'));
    const demo = seeded.vehicles.filter((v) => v.name !== FAULTY.name);
    fleet = await startDemoFleet({
      serverUrl: server.url,
      vehicles: demo.map((v) => ({ name: v.name, token: v.token })),
      city: 'berlin',
      dataDir: companionDir,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    });
    const van6 = seeded.vehicles.find((v) => v.name === FAULTY.name);
    if (!van6) throw new Error(`${FAULTY.name} was not seeded`);
    faulty = await startFaultyVehicle({
      serverUrl: server.url,
      token: van6.token,
      name: van6.name,
      dataDir: companionDir,
      codes: FAULTY.codes,
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Nothing the console asks for may be missing (a favicon.ico 404 on every load, once).
    page.on('response', (response) => {
      if (response.status() === 404) pageErrors.push(`404 ${response.url()}`);
    });
    // The server's strict CSP must not block anything the console needs.
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      consoleErrors.push({ text: message.text(), url: message.location().url });
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await faulty?.stop();
    await fleet?.stop();
    await server?.close();
    if (companionDir) fs.rmSync(companionDir, { recursive: true, force: true });
  });

  const apiToken = async () => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: seeded.dispatcher, password: PASSWORD }),
    });
    return ((await res.json()) as { token: string }).token;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  const serverSnapshot = async () =>
    (await (
      await fetch(`${server.url}/api/fleet/snapshot`, {
        headers: { authorization: `Bearer ${await apiToken()}` },
      })
    ).json()) as FleetSnapshotMessage;
  /** Window height left below the workspace (the map and the columns): 0 when it fills the window. */
  const gapBelowWorkspace = () =>
    page.evaluate(() => {
      const workspace = document.querySelector('main.workspace');
      if (!workspace) throw new Error('no workspace');
      return Math.round(window.innerHeight - workspace.getBoundingClientRect().bottom);
    });
  const cell = async (id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();
  /** Polls until `probe` gives a value, and returns it. */
  const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  it('signs in and shows the fleet moving on the map', async () => {
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('E-mail').waitFor();
    // Not signed in yet is normal: nothing is logged as an error for it (no 401 from
    // /api/auth/me, which a browser logs as a failed request).
    expect(consoleErrors).toEqual([]);
    await page.getByLabel('E-mail').fill(seeded.dispatcher);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .locator('[data-testid="connection"][data-status="live"]')
      .waitFor({ timeout: 15_000 });
    // A reload keeps the login (the session cookie), without the sign-in screen.
    await page.reload();
    await page
      .locator('[data-testid="connection"][data-status="live"]')
      .waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Password').count()).toBe(0);
    await expect
      .poll(() => page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').count())
      .toBe(VEHICLES);
    // No banner: the workspace still reaches the bottom of the window.
    expect(await page.locator('.banner').count()).toBe(0);
    expect(await gapBelowWorkspace()).toBe(0);
    // Every vehicle is drawn by the WebGL layer (the map reports how many it drew).
    await page.locator('[data-testid="map"][data-ready="true"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('[data-testid="map"]').getAttribute('data-vehicles'), {
        timeout: 10_000,
      })
      .toBe(String(VEHICLES));
    expect(
      await page
        .locator('[data-vehicle-id]')
        .first()
        .evaluate((el) => el.tagName),
    ).toBe('DIV');
    expect(await page.locator('.maplibregl-marker, .mapboxgl-marker').count()).toBe(0);

    // Moving: a vehicle's position changes while we watch.
    await page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').first().click();
    const position = page.getByTestId('position');
    const before = await position.textContent();
    await expect.poll(() => position.textContent(), { timeout: 10_000 }).not.toBe(before);
    await page.keyboard.press('Escape');

    // Search by driver (accents ignored), then by plate; 0 clears.
    await page.keyboard.press('/');
    await page.keyboard.type('muller');
    await expect
      .poll(() => page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').allTextContents())
      .toEqual([expect.stringContaining('Van 01')]);
    await page.getByLabel('Search vehicles').fill('B-FL 103');
    await expect
      .poll(() => page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').allTextContents())
      .toEqual([expect.stringContaining('Van 03')]);
    await page.keyboard.press('Escape');
    await page.keyboard.press('0');
    await expect
      .poll(() => page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').count())
      .toBe(VEHICLES);

    // A new driver assigned on the server shows up at once (the feed's details section).
    const van2 = seeded.vehicles[1]!;
    await server.server.accounts.assignDriver(van2.id, {
      userId: seeded.drivers.get('Aiko Tanaka') ?? null,
    });
    await expect
      .poll(() => page.getByRole('option', { name: /Van 02/ }).textContent(), { timeout: 10_000 })
      .toContain('Aiko Tanaka');
    await page.waitForTimeout(1000);
    await shot('01-live-map');
  });

  it('opens a vehicle and reads its OBD-II values, trouble codes, VIN and health', async () => {
    await page.getByRole('option', { name: /Van 01/ }).click();
    await expect.poll(() => page.getByTestId('vehicle-title').textContent()).toBe('Van 01');
    const readings = page.getByTestId('readings');
    await readings.waitFor();
    for (const name of [
      'Vehicle speed',
      'Engine speed',
      'Engine coolant temperature',
      'Fuel tank level input',
      'Control module voltage',
    ])
      await expect.poll(() => readings.textContent()).toContain(name);
    expect(await readings.locator('tr[data-pid="12"] .number').textContent()).toMatch(
      /^\d[\d,.]*$/,
    );
    expect(await page.getByTestId('vin').textContent()).toBe('WVWZZZ1JZ3W386001');
    expect(await page.getByTestId('driver').textContent()).toBe('Jörg Müller');
    // A demo vehicle's adapter reports empty lists (the faulty vehicle below has codes).
    const dtcSection = page.locator('section', { has: page.locator('#dtc-heading') });
    await expect
      .poll(() => dtcSection.textContent(), { timeout: 15_000 })
      .toBe('Trouble codesNone.');
    expect(await page.getByTestId('side-panel').textContent()).toMatch(/GPS fix/);
    // GPS and device health, as the server has them for this vehicle (the panel follows the
    // feed, so poll until both agree: values change once a second).
    const shown = async () => ({
      satellites: await cell('satellites'),
      hdop: await cell('hdop'),
      ignition: await cell('ignition'),
      battery: await cell('battery'),
    });
    const asTheServerHasIt = async () => {
      const van1 = (await serverSnapshot()).vehicles.find((v) => v.name === 'Van 01');
      const ignition = van1?.status?.ignition;
      return {
        satellites: String(van1?.position?.satellites),
        hdop: van1?.position?.hdop?.toFixed(1),
        ignition: ignition === null || ignition === undefined ? '—' : ignition ? 'on' : 'off',
        battery: `${van1?.status?.batteryV?.toFixed(1) ?? '—'} V`,
      };
    };
    await expect
      .poll(async () => ({ shown: await shown(), server: await asTheServerHasIt() }), {
        timeout: 15_000,
      })
      .toSatisfy(({ shown, server }) => JSON.stringify(shown) === JSON.stringify(server));
    const health = await shown();
    expect(Number(health.satellites)).toBeGreaterThanOrEqual(4);
    expect(Number(health.hdop)).toBeGreaterThan(0);
    expect(Number(health.hdop)).toBeLessThan(10);
    expect(health.battery).toMatch(/^1[1-5]\.\d V$/);
    expect(await cell('last-seen')).toMatch(
      /^\d{2}:\d{2}:\d{2}(\s[AP]M)?\s\((just now|\d+ s ago)\)$/,
    );
    // The companion's own report: its adapter and receiver are up (connecting at its first
    // report, a second after start), and it says how much waits in its outbox.
    const state = (id: string) => page.getByTestId(id).getAttribute('data-state');
    await expect
      .poll(async () => ({ obd: await state('obd-link'), gps: await state('gps-receiver') }))
      .toSatisfy(
        ({ obd, gps }: { obd: string | null; gps: string | null }) =>
          ['polling', 'connecting'].includes(obd ?? '') &&
          ['fix', 'no_fix', 'connecting'].includes(gps ?? ''),
      );
    expect(await cell('backlog')).toMatch(/^\d[\d,]* samples?$/);
    // Follow mode from the keyboard.
    await page.keyboard.press('f');
    expect(await page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await page.waitForTimeout(1000);
    await shot('02-vehicle-panel');
  });

  it('shows the trouble codes a vehicle reports, with descriptions, as the server has them', async () => {
    await page.getByRole('option', { name: new RegExp(FAULTY.name) }).click();
    await expect.poll(() => page.getByTestId('vehicle-title').textContent()).toBe(FAULTY.name);
    // The companion reads the codes once it has found the adapter; the server keeps them.
    await expect
      .poll(
        async () =>
          (await serverSnapshot()).vehicles
            .find((v) => v.name === FAULTY.name)
            ?.dtcs.filter((d) => d.codes.length > 0)
            .map((d) => `${d.kind}:${d.codes.join(',')}`)
            .sort(),
        { timeout: 30_000 },
      )
      .toEqual(['pending:P0171', 'stored:P0301,P0420']);
    for (const kind of ['stored', 'pending'] as const) {
      const list = page.getByTestId(`dtcs-${kind}`);
      await list.waitFor({ timeout: 10_000 });
      const items = await list.locator('li').allTextContents();
      expect(items).toHaveLength(FAULTY.codes[kind].length);
      for (const [i, code] of FAULTY.codes[kind].entries()) {
        const info = describeTroubleCode(code);
        expect(info.description).toBeTruthy();
        expect(items[i]).toContain(`${code} ${info.description}`);
      }
    }
    expect(await page.getByTestId('dtcs-stored').textContent()).toContain(
      'P0301 Cylinder 1 misfire detected',
    );
    await page.locator('#dtc-heading').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await shot('02b-trouble-codes');
  });

  it('replays the trip of a van that parked, with the time slider and the readings along it', async () => {
    // Van 06 pulls over and its engine goes off: its companion ends the trip.
    faulty!.park();
    const van6 = seeded.vehicles.find((v) => v.name === FAULTY.name)!;
    const token = await apiToken();
    const endT = await waitFor(async () => {
      const from = Date.now() - 3_600_000;
      const res = await fetch(
        `${server.url}/api/vehicles/${van6.id}/trips?from=${from}&to=${Date.now()}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const { trips } = (await res.json()) as { trips: { endT: number | null }[] };
      return trips.find((t) => t.endT !== null)?.endT ?? undefined;
    }, 60_000);
    // The van goes on reporting while parked. Once the server holds a sample
    // taken well after the trip's end, it holds every position of the trip:
    // a device's samples are stored in the order it took them. So the replay
    // and the export below see the same positions, however busy the machine.
    await waitFor(async () => {
      const van = (await serverSnapshot()).vehicles.find((v) => v.id === van6.id);
      const latest = Math.max(van?.position?.t ?? 0, van?.status?.t ?? 0);
      return latest > endT + 2000 ? true : undefined;
    }, 30_000);

    await page.keyboard.press('h');
    const trips = page.getByTestId('trips').locator('button');
    const ended = trips.filter({ hasNotText: 'ongoing' });
    await expect.poll(() => ended.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await ended.first().click();
    const replay = page.getByTestId('replay');
    await expect.poll(() => replay.textContent(), { timeout: 10_000 }).toMatch(/\d+ positions/);
    const time = page.getByTestId('replay-time');
    const start = await time.textContent();
    const slider = page.getByLabel('Replay time');
    const max = Number(await slider.getAttribute('max'));
    await slider.fill(String(max));
    await expect.poll(() => time.textContent()).not.toBe(start);
    expect(await page.getByTestId('replay-readings').textContent()).toContain('Engine speed');
    await page.waitForTimeout(800);
    await shot('03-trip-replay');
  }, 150_000);

  it('exports positions, readings and events as CSV files', async () => {
    const [positions] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Positions' }).click(),
    ]);
    expect(positions.suggestedFilename()).toMatch(
      /^fleetline-van-06-positions-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    /** A downloaded CSV: UTF-8 with a byte order mark (for Excel), returned without it. */
    const readCsv = async (download: typeof positions) => {
      const bytes = fs.readFileSync((await download.path()) ?? '');
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      return bytes.subarray(3).toString('utf8');
    };
    const csv = await readCsv(positions);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'vehicle,time_utc,epoch_ms,lat,lon,speed_kmh,heading_deg,altitude_m,hdop,satellites,fix_quality',
    );
    expect(lines.length).toBeGreaterThan(3);
    const positionsShown = Number(
      /(\d+) positions/.exec((await page.getByTestId('replay-time').textContent()) ?? '')?.[1],
    );
    expect(lines.length - 1).toBe(positionsShown);
    // Exported page by page from the server, not from the replay's (possibly thinned) track.
    await expect
      .poll(() => page.getByTestId('export-status').textContent())
      .toMatch(new RegExp(`: all ${lines.length - 1} positions recorded in the range$`));
    const row = lines[1]?.split(',') ?? [];
    expect(row[0]).toBe('Van 06');
    expect(Number(row[3])).toBeGreaterThan(52.4);
    expect(Number(row[3])).toBeLessThan(52.7);
    expect(FIX_QUALITIES.filter((q) => q !== 'none')).toContain(row[10]);

    const [readings] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Readings' }).click(),
    ]);
    const readingsCsv = await readCsv(readings);
    expect(readingsCsv.split('\r\n')[0]).toBe('vehicle,time_utc,epoch_ms,pid,part,name,value,unit');
    expect(readingsCsv).toContain(',0x0c,0,Engine speed,');

    const [events] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('replay').getByRole('button', { name: 'Events' }).click(),
    ]);
    const eventsCsv = await readCsv(events);
    expect(eventsCsv.split('\r\n')[0]).toBe(
      'event_id,vehicle,vehicle_id,type,time_utc,epoch_ms,recorded_utc,late,summary,data',
    );
    expect(eventsCsv).toMatch(/,Van 06,\d+,trip_start,/);
    expect(eventsCsv).toMatch(/,Van 06,\d+,trip_end,/);
  });

  it('shows the stale picture while the server is down, reconnects and resyncs', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    const { port, config } = server;
    await server.close();
    await page
      .locator('[data-testid="connection"][data-status="reconnecting"]')
      .waitFor({ timeout: 15_000 });
    await page.getByTestId('stale-banner').waitFor();
    expect(await page.getByTestId('stale-banner').textContent()).toContain('Not live');
    // With the banner, too.
    expect(await gapBelowWorkspace()).toBe(0);
    // The last known vehicles stay on screen.
    expect(await page.locator('[data-testid="vehicle-list"] [data-vehicle-id]').count()).toBe(
      VEHICLES,
    );
    await shot('04-server-lost-stale');

    // Meanwhile Van 01 kept speeding: more overspeed events than a reconnect replays.
    const van1 = seeded.vehicles[0]!;
    const outageAt = Date.now();
    missed = await recordEventsWhileDown(
      config,
      Array.from({ length: MISSED_EVENTS }, (_, i) => ({
        vehicleId: van1.id,
        type: 'overspeed' as const,
        t: outageAt - (MISSED_EVENTS - i) * 10,
        late: false,
        data: { speedKmh: 60 + (i % 20), limitKmh: 45, lat: 52.52, lon: 13.405 },
      })),
    );
    expect(missed).toHaveLength(MISSED_EVENTS);

    server = await startTestServer({ ...config, port });
    await page
      .locator('[data-testid="connection"][data-status="live"]')
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('resync-banner').waitFor();
    expect(await page.getByTestId('stale-banner').count()).toBe(0);
    // Live again: positions move after the restart.
    await page.getByRole('option', { name: /Van 02/ }).click();
    await page.keyboard.press('l');
    const position = page.getByTestId('position');
    const before = await position.textContent();
    await expect.poll(() => position.textContent(), { timeout: 15_000 }).not.toBe(before);
    await shot('05-reconnected');
    expect(pageErrors).toEqual([]);
  });

  it('says the reconnect left older missed events out, and loads them on request', async () => {
    // A vehicle is open: the fleet events tab carries the mark.
    expect(await page.getByTestId('replay-gap-marker').count()).toBe(1);
    await page.keyboard.press('Escape');
    const notice = page.getByTestId('replay-gap');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(
      /only the newest 1000 are shown\. Those recorded between .+ and .+ are missing here/,
    );
    // The oldest missed events are not in the log, which would otherwise look complete.
    const oldestMissed = page.locator(`[data-testid="event-log"] [data-event-id="${missed[0]}"]`);
    expect(await oldestMissed.count()).toBe(0);
    await shot('06-replay-gap');

    await notice.getByRole('button', { name: 'Show earlier events' }).click();
    await oldestMissed.waitFor();
    expect(await notice.count()).toBe(0);
    for (const id of missed.slice(0, MISSED_EVENTS - 1000))
      expect(await page.locator(`[data-event-id="${id}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('keeps a storm of 10,000 open alarms to a screenful of rows, and reaches the last', async () => {
    const dock = page.getByTestId('alarms');
    // The fleet parks, so no alarm of its own comes in among the storm's (the
    // next offline alarm is two minutes away), and its alarms so far are dealt with.
    await faulty?.stop();
    faulty = undefined;
    await fleet?.stop();
    fleet = undefined;
    await page.waitForTimeout(1000);
    if ((await dock.count()) > 0)
      await dock.getByRole('button', { name: 'Acknowledge all' }).click();
    // Broadcast as the server does for stored events (ids far above the real
    // ones): driving vehicles into this many alarms would take hours. Just under
    // the console's bound of 10,000 open alarms, which is the dock's own test.
    const STORM = 9_990;
    const van1 = seeded.vehicles[0]!;
    const now = Date.now();
    server.server.feed.eventsStored(
      Array.from({ length: STORM }, (_, i) => ({
        id: 100_000_000 + i,
        vehicleId: van1.id,
        type: 'overspeed' as const,
        t: now - i * 1000,
        recordedAt: now,
        late: false,
        data: { speedKmh: 60 + (i % 20), limitKmh: 45, lat: 52.52, lon: 13.405 },
      })),
    );
    // One message of ~2 MB to encode, send, check against the protocol and list.
    await expect
      .poll(async () => Number(await dock.locator('.count').textContent()), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(STORM);
    await dock.getByRole('button', { name: /^Show all/ }).click();
    const rows = dock.locator('li.alarm');
    expect(await rows.count()).toBeLessThan(60);
    /** Where the row with the focus is in the list, and whether it is the last. */
    const focused = () =>
      page.evaluate(() => {
        const row = document.activeElement?.closest('li.alarm');
        const at = Number(row?.getAttribute('aria-posinset'));
        const of = Number(row?.getAttribute('aria-setsize'));
        return { last: at === of && of > 0, acknowledge: document.activeElement?.ariaLabel };
      });
    const lastRow = () =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('li.alarm')).some((row) => {
          const bounds = row.getBoundingClientRect();
          const list = document
            .querySelector('[data-testid="alarm-list"]')!
            .getBoundingClientRect();
          return (
            row.getAttribute('aria-posinset') === row.getAttribute('aria-setsize') &&
            bounds.top >= list.top - 1 &&
            bounds.bottom <= list.bottom + 1
          );
        }),
      );

    // By keyboard: End goes to the last alarm, scrolled into view.
    await rows.first().getByRole('button', { name: 'Acknowledge' }).focus();
    await page.keyboard.press('End');
    expect(await focused()).toEqual({ last: true, acknowledge: 'Acknowledge' });
    expect(await lastRow()).toBe(true);
    expect(await rows.count()).toBeLessThan(60);
    await shot('07-alarm-storm');

    // By scrolling: back to the top, then down to the bottom with the wheel.
    const viewport = dock.getByTestId('alarm-list');
    await viewport.evaluate((el) => (el.scrollTop = 0));
    await expect.poll(lastRow).toBe(false);
    await viewport.hover();
    await page.mouse.wheel(0, STORM * 50);
    await expect.poll(lastRow).toBe(true);
    expect(await rows.count()).toBeLessThan(60);

    // Acknowledged from the keyboard: Enter on the last one's ✓ (the storm's
    // oldest, at 60 km/h); the focus goes to the new last (the next oldest, 61).
    const focusedText = () =>
      page.evaluate(() => document.activeElement?.closest('li.alarm')?.textContent ?? '');
    expect(await focusedText()).toContain('60 km/h');
    await page.keyboard.press('Enter');
    await expect.poll(focusedText, { timeout: 10_000 }).toContain('61 km/h');
    expect(await focused()).toEqual({ last: true, acknowledge: 'Acknowledge' });
    await dock.getByRole('button', { name: 'Acknowledge all' }).click();
    expect(await dock.count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
