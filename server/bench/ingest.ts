import { parseArgs } from 'node:util';
import { Histogram } from './lib/histogram.js';
import { ProcessMeter } from './lib/proc.js';
import {
  BENCH_ADMIN,
  RELAY_MAIN,
  SERVER_MAIN,
  prepareDatabase,
  spawnServer,
} from './lib/targets.js';
import type { DbKind, SpawnedServer } from './lib/targets.js';
import { Worker } from './lib/workers.js';
import type {
  ConsoleCommand,
  ConsoleReply,
  DeviceCommand,
  DeviceReply,
  DeviceSpec,
} from './load/messages.js';

/**
 * npm run bench:ingest -- [--db sqlite|postgres] [--mode fixed|saturation|all]
 *   [--vehicles 10000] [--hz 1] [--seconds 60] [--consoles 5]
 *   [--sat-vehicles 1000] [--sat-step-seconds 8]
 *
 * Prints one JSON line per mode. See docs/BENCHMARKS.md for what each field means.
 */

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    mode: { type: 'string', default: 'all' },
    vehicles: { type: 'string', default: '10000' },
    hz: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '60' },
    consoles: { type: 'string', default: '5' },
    'sat-vehicles': { type: 'string', default: '1000' },
    'sat-step-seconds': { type: 'string', default: '8' },
    target: { type: 'string', default: 'fleetline' },
  },
});
const db = values.db as DbKind;
if (db !== 'sqlite' && db !== 'postgres') throw new Error('--db must be sqlite or postgres');
const consoles = Number(values.consoles);
const log = (text: string) => process.stderr.write(`[bench:ingest] ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Devices = Worker<DeviceCommand, DeviceReply>;
type Consoles = Worker<ConsoleCommand, ConsoleReply>;

interface Rig {
  server: SpawnedServer;
  devices: Devices;
  consoles: Consoles;
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
  });
  if (!res.ok) throw new Error(`bench login failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function rig(server: SpawnedServer, specs: DeviceSpec[], consoleToken: string): Promise<Rig> {
  const consoleWorker: Consoles = new Worker('consoles');
  await consoleWorker.ask(
    { type: 'connect', url: server.url, token: consoleToken, consoles },
    'connected',
  );
  const deviceWorker: Devices = new Worker('devices');
  const connected = await deviceWorker.ask(
    { type: 'connect', url: server.url, devices: specs, concurrency: 200 },
    'connected',
  );
  log(`${connected.count} devices connected in ${connected.ms} ms`);
  return { server, devices: deviceWorker, consoles: consoleWorker };
}

/** One load step: returns what the devices saw and what the consoles measured. */
async function step(r: Rig, hz: number, seconds: number, meter?: ProcessMeter) {
  const startAt = Date.now() + 500;
  r.consoles.tell({ type: 'window', from: startAt, to: startAt + seconds * 1000 });
  const ran = r.devices.ask({ type: 'run', hz, seconds, startAt }, 'ran');
  // The load generator shares the machine: measure it too, so the server's figures can be read against it.
  const loadMeters = [new ProcessMeter(r.devices.pid), new ProcessMeter(r.consoles.pid)];
  // With BENCH_PROFILE_DIR, the server profiles exactly the measured window (see lib/profile-on-signal.ts).
  const profile = process.env.BENCH_PROFILE_DIR
    ? () => r.server.child.kill('SIGUSR2')
    : () => undefined;
  setTimeout(() => {
    meter?.start();
    for (const m of loadMeters) m.start();
    profile();
  }, startAt - Date.now());
  const devices = await ran;
  profile();
  const usage = meter?.stop();
  const loadCpuPct = Math.round(loadMeters.reduce((sum, m) => sum + m.stop().cpuPct, 0));
  await sleep(1000);
  const report = await r.consoles.ask({ type: 'report' }, 'report');
  const latency = new Histogram();
  latency.merge(report.latency);
  return { devices, consoles: report, latency, usage, loadCpuPct };
}

function ackHistogram(devices: { ackLatency: { bins: number[]; count: number } }): Histogram {
  const h = new Histogram();
  h.merge(devices.ackLatency);
  return h;
}

async function closeRig(r: Rig): Promise<void> {
  await Promise.all([r.devices.close(), r.consoles.close()]);
}

async function fixed(): Promise<void> {
  const vehicles = Number(values.vehicles);
  const hz = Number(values.hz);
  const seconds = Number(values.seconds);
  const relay = values.target === 'relay';
  const database = prepareDatabase(db);
  try {
    log(`seeding ${vehicles} vehicles on ${db}`);
    const specs = await database.seed(vehicles);
    const server = relay
      ? await spawnServer(RELAY_MAIN, {})
      : await spawnServer(SERVER_MAIN, database.env);
    const r = relay
      ? await rig(
          server,
          specs.map((s) => ({ vehicleId: s.vehicleId, token: `relay:${s.vehicleId}` })),
          'relay',
        )
      : await rig(server, specs, await login(server.url));
    log(`fixed load: ${vehicles} vehicles at ${hz} Hz for ${seconds} s with ${consoles} consoles`);
    const result = await step(r, hz, seconds, new ProcessMeter(server.pid));
    await closeRig(r);
    await server.stop();
    // The relay stores nothing: what it acknowledged stands in for what was stored.
    const counted = relay
      ? { rows: result.devices.stored, distinct: result.devices.stored }
      : await database.countSamples();
    const { devices, consoles: seen, latency, usage, loadCpuPct } = result;
    process.stdout.write(
      `${JSON.stringify({
        mode: 'fixed',
        db: relay ? 'none (bare relay)' : db,
        vehicles,
        hz,
        consoles,
        seconds,
        sent: devices.sent,
        stored: counted.distinct,
        delivered: seen.delivered,
        lost: devices.sent - counted.distinct,
        // Samples still held by their devices (refused under overload, not yet
        // resent) when the run stopped waiting: part of `lost` above, but
        // never acknowledged, so a companion would still have them.
        unacked: devices.unacked,
        duplicates: counted.rows - counted.distinct + seen.duplicates,
        // The two parts of `duplicates`: samples stored twice, and positions
        // a console was sent again after a newer or the same one.
        duplicates_stored: counted.rows - counted.distinct,
        duplicates_delivered: seen.duplicates,
        p50_ms: latency.percentile(50),
        p99_ms: latency.percentile(99),
        server_cpu_pct: usage?.cpuPct,
        server_rss_mb: usage?.rssMb,
        load_generator_cpu_pct: loadCpuPct,
        acked_per_s: devices.ackedPerS,
        ack_p50_ms: ackHistogram(devices).percentile(50),
        ack_p99_ms: ackHistogram(devices).percentile(99),
        refused_batches: devices.errorReplies,
        // Connections lost and made again (a heartbeat missed on a starved
        // machine), and the batches they cut off, which were sent again.
        device_reconnects: devices.reconnects,
        cut_off_batches: devices.cutOff,
      })}\n`,
    );
  } finally {
    await database.drop();
  }
}

const SAT_HZ = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22, 27, 33, 40, 50];
const SAMPLES_PER_BATCH = 2;

/** Raises the offered rate until p99 passes 1 s or a sample goes unacknowledged (or is refused). */
async function saturate(r: Rig, vehicles: number, stepSeconds: number, label: string) {
  let best = 0;
  let reason = 'reached the highest step';
  const steps: { offered: number; acked: number; p99: number | null }[] = [];
  for (const hz of SAT_HZ) {
    const offered = vehicles * hz * SAMPLES_PER_BATCH;
    const { devices, latency } = await step(r, hz, stepSeconds);
    const p99 = latency.percentile(99);
    steps.push({ offered, acked: devices.ackedPerS, p99 });
    log(
      `${label}: offered ${offered}/s acked ${devices.ackedPerS}/s p99 ${p99} ms unacked ${devices.unacked} refused ${devices.errorReplies} cut off ${devices.cutOff}`,
    );
    if (devices.unacked > 0 || devices.errorReplies > 0 || devices.cutOff > 0) {
      reason = `samples unacknowledged or refused at ${offered}/s`;
      break;
    }
    if (p99 === null || p99 > 1000) {
      reason = `p99 ${p99} ms at ${offered}/s`;
      break;
    }
    if (devices.ackedPerS < offered * 0.9) {
      reason = `acknowledged ${devices.ackedPerS}/s of ${offered}/s offered`;
      break;
    }
    best = devices.ackedPerS;
  }
  return { best, reason, steps };
}

async function saturation(): Promise<void> {
  const vehicles = Number(values['sat-vehicles']);
  const stepSeconds = Number(values['sat-step-seconds']);
  const database = prepareDatabase(db);
  try {
    const specs = await database.seed(vehicles);
    const server = await spawnServer(SERVER_MAIN, database.env);
    const r = await rig(server, specs, await login(server.url));
    const ours = await saturate(r, vehicles, stepSeconds, 'fleetline');
    await closeRig(r);
    await server.stop();

    const relay = await spawnServer(RELAY_MAIN, {});
    const relaySpecs = specs.map((s) => ({
      vehicleId: s.vehicleId,
      token: `relay:${s.vehicleId}`,
    }));
    const rr = await rig(relay, relaySpecs, 'relay');
    const baseline = await saturate(rr, vehicles, stepSeconds, 'relay');
    await closeRig(rr);
    await relay.stop();

    process.stdout.write(
      `${JSON.stringify({
        mode: 'saturation',
        db,
        max_sustained_per_s: ours.best,
        baseline_per_s: baseline.best,
        ratio: baseline.best > 0 ? Math.round((ours.best / baseline.best) * 100) / 100 : null,
        vehicles,
        consoles,
        step_seconds: stepSeconds,
        limit: ours.reason,
        baseline_limit: baseline.reason,
      })}\n`,
    );
  } finally {
    await database.drop();
  }
}

if (values.mode === 'fixed' || values.mode === 'all') await fixed();
if (values.mode === 'saturation' || values.mode === 'all') await saturation();
