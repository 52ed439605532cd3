import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FleetEvent } from '@fleetline/protocol';
import { launchChromium } from '../support/browser.js';
import { PASSWORD, seedFleet, startTestServer, testServerConfig } from '../support/fleet-server.js';
import type { SeededFleet, TestServer } from '../support/fleet-server.js';
import { CONSOLE_DIR, ensureWebBuild } from '../support/web-build.js';

const SCREENSHOTS = path.join(CONSOLE_DIR, 'test-artifacts/screenshots');

/**
 * The alarm dock in Chromium, where a click lands where the pointer is: an
 * alarm that comes in while the pointer rests on a row, about to click its
 * ✓, must not move that row (folded, or expanded at its top), and the click
 * acknowledges the alarm it was aimed at. No companions run: the server's
 * feed broadcasts the alarms, so none comes in but the test's own.
 */
describe('the alarm dock under the pointer, in Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let seeded: SeededFleet;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];
  let nextId = 1;

  beforeAll(async () => {
    const consoleDir = await ensureWebBuild();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer(testServerConfig({ consoleDir }));
    seeded = await seedFleet(server.server, 3);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('E-mail').fill(seeded.dispatcher);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .locator('[data-testid="connection"][data-status="live"]')
      .waitFor({ timeout: 15_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  const dock = () => page.getByTestId('alarms');
  /** Overspeeds of Van 01, broadcast as the server does for stored events; the newest is listed first. */
  const raise = (count: number) => {
    const van = seeded.vehicles[0]!;
    const now = Date.now();
    const events: FleetEvent[] = Array.from({ length: count }, () => ({
      id: nextId++,
      vehicleId: van.id,
      type: 'overspeed' as const,
      t: now,
      recordedAt: now,
      late: false,
      data: { speedKmh: 70, limitKmh: 45, lat: 52.52, lon: 13.405 },
    }));
    server.server.feed.eventsStored(events);
    return events.map((e) => e.id);
  };
  const shownCount = () => dock().locator('h2 .count').textContent().then(Number);
  const openIds = () =>
    dock()
      .locator('li.alarm')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-alarm-id'))));
  /** The pointer on the ✓ of the row at `position` (1: the first shown); returns the row's alarm id. */
  const pointAtAcknowledge = async (position: number) => {
    const row = dock()
      .locator('li.alarm')
      .nth(position - 1);
    const box = await row.getByRole('button', { name: 'Acknowledge' }).boundingBox();
    if (!box) throw new Error('no ✓ to point at');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    return { id: Number(await row.getAttribute('data-alarm-id')), x: box.x, y: box.y };
  };
  /** The alarm whose row is under the point (x, y) now. */
  const idAt = (x: number, y: number) =>
    page.evaluate(
      ([px, py]) =>
        Number(
          document
            .elementFromPoint(px! + 2, py! + 2)
            ?.closest('li.alarm')
            ?.getAttribute('data-alarm-id'),
        ),
      [x, y],
    );
  const acknowledgeAll = async () => {
    await dock().getByRole('button', { name: 'Acknowledge all' }).click();
    await expect.poll(() => dock().count()).toBe(0);
  };

  it('folded: an alarm that comes in does not move the row under the pointer, and the click lands on it', async () => {
    raise(8);
    await expect.poll(shownCount).toBe(8);
    const aimed = await pointAtAcknowledge(2);
    const [newest] = raise(1);
    await expect.poll(shownCount).toBe(9);
    expect(await idAt(aimed.x, aimed.y)).toBe(aimed.id);
    expect(await dock().getByTestId('alarms-held').textContent()).toContain('1 new above');
    await shot('08-alarm-dock-held');

    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(shownCount).toBe(8);
    expect(await openIds()).not.toContain(aimed.id);

    // The pointer leaves: the alarm held above comes into view, first.
    await page.mouse.move(5, 5);
    await expect.poll(async () => (await openIds())[0]).toBe(newest);
    expect(await dock().getByTestId('alarms-held').count()).toBe(0);
    await acknowledgeAll();
  });

  it('expanded at its top: the same, and the list is at its top again once the pointer leaves', async () => {
    raise(40);
    await expect.poll(shownCount).toBe(40);
    await dock()
      .getByRole('button', { name: /^Show all/ })
      .click();
    const list = dock().getByTestId('alarm-list');
    expect(await list.evaluate((el) => el.scrollTop)).toBe(0);
    const aimed = await pointAtAcknowledge(3);
    const newest = raise(2);
    await expect.poll(shownCount).toBe(42);
    expect(await idAt(aimed.x, aimed.y)).toBe(aimed.id);
    expect(await list.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);

    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(shownCount).toBe(41);
    expect(await openIds()).not.toContain(aimed.id);

    await page.mouse.move(5, 5);
    await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBe(0);
    expect((await openIds()).slice(0, 2)).toEqual([...newest].reverse());
    await shot('09-vehicle-list-open-alarm');
    await acknowledgeAll();
  });

  it('expanded when it barely overflows: the list can still scroll by the whole row that came in', async () => {
    // Seven rows: a list about as tall as its view, which one more row
    // overflows by less than a row's height.
    raise(7);
    await expect.poll(shownCount).toBe(7);
    await dock()
      .getByRole('button', { name: /^Show all/ })
      .click();
    const list = dock().getByTestId('alarm-list');
    const aimed = await pointAtAcknowledge(4);
    const [newest] = raise(1);
    await expect.poll(shownCount).toBe(8);
    expect(await idAt(aimed.x, aimed.y)).toBe(aimed.id);
    expect(await dock().getByTestId('alarms-held').textContent()).toContain('1 new above');

    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(shownCount).toBe(7);
    expect(await openIds()).not.toContain(aimed.id);

    await page.mouse.move(5, 5);
    await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBe(0);
    expect((await openIds())[0]).toBe(newest);
    // The room made for the hold goes with it: no empty foot below the last row.
    expect(await list.evaluate((el) => el.scrollHeight - el.clientHeight)).toBeLessThan(2 * 40);
    await acknowledgeAll();
    expect(pageErrors).toEqual([]);
  });
});
