import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GpsSimulator, createDemoFleet, createSimulatedLink } from '@fleetline/hardware';
import { afterEach, describe, expect, it } from 'vitest';
import { Companion, OUTBOX_FILE } from '../src/companion.js';
import { loadConfig } from '../src/config/load.js';
import { transportEndpoint } from '../src/devices/endpoints.js';
import type { CompanionStatus } from '../src/health/status.js';
import { Outbox } from '../src/outbox/outbox.js';
import type { SampleDraft } from '../src/outbox/samples.js';
import { createLogger } from '../src/util/logger.js';
import { freePort } from './support/process.js';
import { eventually } from './support/server.js';

/**
 * The disk-bound policy seen from outside: a whole companion, its outbox
 * left near its bound by an outage (filled beforehand, as days offline
 * would), a simulated GPS receiver feeding it, no server to drain it. What
 * is kept, what is refused, and what the health endpoint says.
 */

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const MAX_DISK_MB = 1;
const MAX_BYTES = MAX_DISK_MB * 1024 * 1024;
const TOKEN = `fld_${'C'.repeat(43)}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-disk-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The limits an outbox with this bound works to (the same arithmetic for every file). */
function limits(dir: string): { thinAboveBytes: number; refuseEventsAboveBytes: number } {
  const outbox = Outbox.open({
    file: path.join(dir, 'probe.sqlite'),
    maxBytes: MAX_BYTES,
    synchronous: 'NORMAL',
    logger,
  });
  const { thinAboveBytes, refuseEventsAboveBytes } = outbox.stats();
  outbox.close();
  return { thinAboveBytes, refuseEventsAboveBytes };
}

/** Fills the outbox file (as an outage would) until its pages in use pass `bytes`. */
function fill(dataDir: string, make: (i: number) => SampleDraft, bytes: number): void {
  const outbox = Outbox.open({
    file: path.join(dataDir, OUTBOX_FILE),
    maxBytes: 64 * MAX_BYTES,
    synchronous: 'NORMAL',
    logger,
  });
  let i = 0;
  while (outbox.usedBytes() < bytes) {
    outbox.append(Array.from({ length: 200 }, () => make(i++)));
  }
  outbox.close();
}

const DAY_AGO = Date.now() - 86_400_000;
const oldPosition = (i: number): SampleDraft => ({
  kind: 'position',
  t: DAY_AGO + i * 1000,
  lat: 52.5 + i / 1e6,
  lon: 13.4,
  speedKmh: 30,
  fixQuality: 'gps',
});
const oldStatus = (i: number): SampleDraft => ({
  kind: 'status',
  t: DAY_AGO + i * 1000,
  batteryV: 12 + (i % 20) / 10,
  ignition: true,
});

/** A companion on dataDir with a simulated receiver and no reachable server. */
async function startCompanion(dataDir: string): Promise<Companion> {
  const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 9 });
  if (!car) throw new Error('no car');
  const link = await createSimulatedLink({ kind: 'memory' });
  const receiver = new GpsSimulator({ vehicle: car, rateHz: 10, startTime: new Date() });
  await receiver.attach(link.device);
  receiver.start();
  const config = loadConfig({
    env: {},
    overrides: {
      name: 'disk-bound',
      server: { url: `http://127.0.0.1:${await freePort()}`, token: TOKEN },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      storage: { dataDir, maxDiskMb: MAX_DISK_MB, synchronous: 'NORMAL' },
      health: { port: 0 },
    },
  });
  const companion = await Companion.start({
    config,
    logger,
    devices: { obd: null, gps: transportEndpoint(link.host) },
  });
  cleanups.push(async () => {
    receiver.stop();
    await companion.stop(0);
    await link.close();
  });
  return companion;
}

async function health(companion: Companion): Promise<{ code: number; body: CompanionStatus }> {
  const address = companion.healthAddress;
  if (!address) throw new Error('no health endpoint');
  const response = await fetch(`http://${address.host}:${address.port}/health`);
  return { code: response.status, body: (await response.json()) as CompanionStatus };
}

describe('the disk bound, on a running companion', () => {
  it(
    'thins old positions when the bound is reached, keeps recording new ones, and reports it (degraded, 200)',
    { timeout: 30_000 },
    async () => {
      const dir = tempDir();
      const dataDir = path.join(dir, 'state');
      const { thinAboveBytes } = limits(dir);
      fill(dataDir, oldPosition, thinAboveBytes * 1.05);

      const companion = await startCompanion(dataDir);
      const before = companion.outbox.lastAssignedSeq;
      await eventually(
        () => (companion.outbox.lastAssignedSeq >= before + 30 ? true : undefined),
        10_000,
        'new positions',
      );
      const { code, body } = await health(companion);
      expect(code).toBe(200);
      expect(body.health).toBe('degraded');
      expect(body.outbox.counters.thinnedPositions).toBeGreaterThan(0);
      expect(body.outbox.counters.refusedWhileFull).toBe(0);
      expect(body.outbox.full).toBe(false);
      expect(body.problems).toContainEqual(
        expect.objectContaining({ area: 'outbox', severity: 'degraded' }),
      );
      expect(body.problems.find((p) => p.area === 'outbox')?.message).toMatch(
        /reached its bound \(1 MB\) at some point: \d+ old positions and 0 readings thinned/,
      );
      expect(companion.outbox.fileBytes()).toBeLessThanOrEqual(MAX_BYTES);
      // The newest positions are all there: thinning takes the older half only.
      const newest = companion.outbox.read(before, null, 1000);
      expect(newest.filter((r) => r.sample.kind === 'position').length).toBeGreaterThanOrEqual(25);
    },
  );

  it(
    'with events alone at the bound: refuses positions, keeps events in the reserve, then refuses those too; health 503',
    { timeout: 40_000 },
    async () => {
      const dir = tempDir();
      const dataDir = path.join(dir, 'state');
      const { thinAboveBytes, refuseEventsAboveBytes } = limits(dir);
      // Events between the positions' share and the whole bound.
      fill(dataDir, oldStatus, (thinAboveBytes + refuseEventsAboveBytes) / 2);

      let companion = await startCompanion(dataDir);
      const before = companion.outbox.lastAssignedSeq;
      await eventually(
        () =>
          companion.status().outbox.counters.refusedWhileFull >= 20 &&
          companion.outbox.lastAssignedSeq > before
            ? true
            : undefined,
        10_000,
        'positions refused and an event kept',
      );
      let { code, body } = await health(companion);
      expect(code).toBe(503);
      expect(body.health).toBe('failing');
      expect(body.outbox).toMatchObject({ full: true, eventsFull: false });
      expect(body.problems.find((p) => p.area === 'outbox')?.message).toMatch(
        /positions and readings are refused \(\d+ so far\).*events are still kept/,
      );
      // What was kept since the start are events only: the receiver's fix came as a status.
      const kept = companion.outbox.read(before, null, 1000).map((r) => r.sample);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.every((s) => s.kind !== 'position' && s.kind !== 'reading')).toBe(true);
      expect(kept).toContainEqual(expect.objectContaining({ kind: 'status', gpsFix: 'gps' }));
      await companion.stop(0);

      // More of the outage: events fill the reserve as well.
      fill(dataDir, oldStatus, refuseEventsAboveBytes * 1.02);
      companion = await startCompanion(dataDir);
      const last = companion.outbox.lastAssignedSeq;
      await eventually(
        () => (companion.status().outbox.counters.refusedEventsWhileFull >= 1 ? true : undefined),
        10_000,
        'the fix status refused',
      );
      ({ code, body } = await health(companion));
      expect(code).toBe(503);
      expect(body.outbox).toMatchObject({ full: true, eventsFull: true });
      expect(body.problems.find((p) => p.area === 'outbox')?.message).toMatch(
        /new events are refused too \(\d+ so far\)/,
      );
      // Nothing new stored, nothing stored dropped, and the files within the bound.
      expect(companion.outbox.lastAssignedSeq).toBe(last);
      expect(companion.outbox.pending).toBe(last);
      expect(companion.outbox.fileBytes()).toBeLessThanOrEqual(MAX_BYTES);
    },
  );
});
