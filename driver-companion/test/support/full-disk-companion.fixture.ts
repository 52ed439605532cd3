// Test fixture (full-disk.test.ts), run on a tmpfs of its own
// (tiny-disk.ts): an outage left samples in the outbox, something else has
// filled the disk to the last block, and the companion is (re)started, as
// systemd would after a crash (its lock left behind). It must start and
// record into memory; once room is made, open the outbox, commit what it
// kept and deliver everything to the server. Prints its findings as JSON.
import fs from 'node:fs';
import path from 'node:path';
import { createDemoFleet } from '@fleetline/hardware';
import { Companion, OUTBOX_FILE } from '../../src/companion.js';
import { loadConfig } from '../../src/config/load.js';
import { transportEndpoint } from '../../src/devices/endpoints.js';
import type { CompanionStatus } from '../../src/health/status.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { createVehicleRig } from '../../src/simulation/vehicle-rig.js';
import { LOCK_FILE } from '../../src/util/instance-lock.js';
import { createLogger } from '../../src/util/logger.js';

const [dir, serverUrl, token, outage = 'positions'] = process.argv.slice(2);
if (!dir || !serverUrl || !token || (outage !== 'positions' && outage !== 'events')) {
  process.stderr.write(
    'usage: full-disk-companion.fixture.ts DIR SERVER_URL TOKEN [positions|events]\n',
  );
  process.exit(2);
}
const dataDir = path.join(dir, 'state');
const filler = path.join(dir, 'filler');
const logged: { level: number; msg: string }[] = [];
const logger = createLogger(
  'info',
  {},
  {
    write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }),
  },
);

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function health(companion: Companion): Promise<{ code: number; body: CompanionStatus }> {
  const address = companion.healthAddress;
  if (!address) throw new Error('no health endpoint');
  const response = await fetch(`http://${address.host}:${address.port}/health`);
  return { code: response.status, body: (await response.json()) as CompanionStatus };
}

// Samples an outage left behind, and the lock of the companion that was killed:
// 300 positions, or (`events`) events alone past the positions' share of the bound.
const earlier = Outbox.open({
  file: path.join(dataDir, OUTBOX_FILE),
  maxBytes: 1024 * 1024,
  synchronous: 'NORMAL',
  journal: true,
  logger,
});
const anHourAgo = Date.now() - 3_600_000;
const { thinAboveBytes, refuseEventsAboveBytes } = earlier.stats();
let i = 0;
do {
  earlier.append(
    Array.from({ length: outage === 'events' ? 100 : 300 }, () => {
      const t = anHourAgo + (i += 1) * 100;
      return outage === 'events'
        ? { kind: 'status' as const, t, batteryV: 12.5, ignition: true }
        : {
            kind: 'position' as const,
            t,
            lat: 52.5,
            lon: 13.4 + i / 1e5,
            fixQuality: 'gps' as const,
          };
    }),
  );
} while (
  outage === 'events' &&
  earlier.usedBytes() < (thinAboveBytes + refuseEventsAboveBytes) / 2
);
const outageSamples = earlier.pending;
earlier.close();
const dead = {
  pid: 2 ** 22 + 1,
  name: 'killed',
  startedAt: 1,
  health: null,
  bootId: null,
  procStart: null,
};
fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify(dead));
// Something else fills the disk to the last block.
const fd = fs.openSync(filler, 'w');
try {
  for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
} catch {
  // ENOSPC: full.
}
fs.closeSync(fd);

const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 5 });
if (!car) throw new Error('no car');
const rig = await createVehicleRig({ vehicle: car, link: 'memory', gpsHz: 10 });
const config = loadConfig({
  env: {},
  overrides: {
    name: 'full-disk',
    server: { url: serverUrl, token },
    devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
    storage: { dataDir, maxDiskMb: 1, synchronous: 'NORMAL', journal: true },
    uplink: { reconnectMinS: 0.2, reconnectMaxS: 1 },
    health: { port: 0 },
  },
});
let companion: Companion;
try {
  companion = await Companion.start({
    config,
    logger,
    devices: { obd: null, gps: transportEndpoint(rig.gpsLink.host) },
  });
} catch (error) {
  process.stdout.write(`${JSON.stringify({ startError: (error as Error).message })}\n`);
  process.exit(0);
}
try {
  await until('positions kept in memory', () => companion.sink.stats().staged >= 20, 10_000);
  const whileFull = await health(companion);
  const outboxProblems = whileFull.body.problems.filter((p) => p.area === 'outbox');
  fs.rmSync(filler);
  const roomAt = Date.now();
  await until(
    'the outbox to open and take what waited in memory',
    () => companion.outbox.stats().available && companion.sink.stats().staged === 0,
    20_000,
  );
  const openedAfterMs = Date.now() - roomAt;
  const afterOpen = companion.outbox.stats();
  await until(
    'everything to be delivered',
    () => companion.uplink.status().state === 'connected' && companion.outbox.pending === 0,
    20_000,
  );
  rig.gps.stop();
  const after = await health(companion);
  const journal = companion.outbox.journal().map((r) => ({ seq: r.seq, t: r.sample.t }));
  await companion.stop(1000);
  process.stdout.write(
    `${JSON.stringify({
      whileFull: {
        code: whileFull.code,
        outboxProblems,
        available: whileFull.body.outbox.available,
      },
      openedAfterMs,
      outageSamples,
      afterOpen: { full: afterOpen.full, counters: afterOpen.counters },
      after: { code: after.code, sink: after.body.outbox.sink },
      journal,
      messages: logged.filter((l) => l.level >= 40).map((l) => l.msg),
    })}\n`,
  );
} finally {
  await rig.close();
}
process.exit(0);
