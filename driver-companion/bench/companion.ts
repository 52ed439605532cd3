/**
 * npm run bench:companion: prints ONE JSON line.
 *
 * 1. Polling: the built companion (`fleetline-companion run`, a process of
 *    its own) reads ten PIDs and a 10 Hz GPS receiver from the simulators
 *    behind real pseudo-terminals (socat) and streams to a real server, for
 *    60 s after a warm-up; its CPU share of one core and its resident memory
 *    come from /proc. Baseline, same run, same simulators: a process that
 *    polls the same plan with @fleetline/hardware alone and throws the
 *    readings away (no outbox, no uplink, no derivations).
 * 2. Outbox: commits per second of one sample each (the sink commits per
 *    device read, and a GPS epoch is one sample: the smallest, most
 *    frequent commit), then samples per second drained (read a batch,
 *    settle it), synchronous FULL and NORMAL. Baseline: bare better-sqlite3
 *    inserts (one per transaction) and deletes of the same JSON into a table
 *    with nothing else.
 * 3. Backlog: one hour of this vehicle's samples (10 Hz positions, the
 *    plan's readings, battery) waits in an outbox; the time from the
 *    uplink's start until the server has acknowledged all of it, with the
 *    default backlog ceiling and without it. Baseline: a bare socket.io
 *    client sending the same samples as fast as the server allows (1000 per
 *    batch, 8 batches in flight).
 * The simulators and the server run in this process; what is measured runs
 * in children, so their CPU is theirs alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { createDemoFleet } from '@fleetline/hardware';
import { BatchReplySchema, DEVICE_NAMESPACE, DeviceHelloSchema } from '@fleetline/protocol';
import { createFleetlineServer, loadConfig } from '@fleetline/server';
import type { FleetlineServer } from '@fleetline/server';
import { TimeSource } from '../src/clock/time-source.js';
import { CompanionConfigSchema, DEFAULT_POLL_PLAN } from '../src/config/schema.js';
import { Outbox } from '../src/outbox/outbox.js';
import type { SampleDraft } from '../src/outbox/samples.js';
import { createVehicleRig } from '../src/simulation/vehicle-rig.js';
import { Uplink } from '../src/uplink/uplink.js';
import { createLogger } from '../src/util/logger.js';

const HERE = fileURLToPath(import.meta.url);
const CLI = path.resolve(path.dirname(HERE), '..', 'src', 'cli', 'main.js');
const POLLER = path.join(path.dirname(HERE), 'hardware-poller.js');
/** Node flags for the measured companion, as the systemd unit runs it. */
const COMPANION_NODE_FLAGS = (
  process.env.BENCH_COMPANION_NODE_FLAGS ?? '--max-semi-space-size=1 --v8-pool-size=1'
)
  .split(' ')
  .filter(Boolean);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 10);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 60);
const GPS_HZ = 10;
const silent = createLogger('silent');
const benchStart = performance.now();

/** Progress on stderr; the one JSON line goes to stdout. */
function progress(message: string): void {
  process.stderr.write(
    `[bench:companion +${Math.round((performance.now() - benchStart) / 1000)} s] ${message}\n`,
  );
}

// ---------------------------------------------------------------- children

/** Drains a prepared backlog: through the companion's outbox and uplink, or a bare client. */
async function drainChild(mode: string, url: string, token: string, file: string): Promise<void> {
  const drafts = JSON.parse(fs.readFileSync(file, 'utf8')) as SampleDraft[];
  if (mode === 'bare') {
    const seconds = await bareClientDrain(url, token, drafts);
    process.stdout.write(`${JSON.stringify({ seconds })}\n`);
    process.exit(0);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-drain-'));
  const outbox = Outbox.open({
    file: path.join(dir, 'outbox.sqlite'),
    maxBytes: 512 << 20,
    synchronous: 'FULL',
    logger: silent,
  });
  for (let i = 0; i < drafts.length; i += 1000) outbox.append(drafts.slice(i, i + 1000));
  const base = CompanionConfigSchema.shape.uplink.parse(undefined);
  const uplink = new Uplink({
    url,
    token,
    config: mode === 'uncapped' ? { ...base, backlogSamplesPerSecond: 1_000_000 } : base,
    outbox,
    time: new TimeSource({ maxDriftMs: 2000 }),
    logger: silent,
  });
  const started = performance.now();
  uplink.start();
  while (outbox.pending > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  await uplink.stop();
  outbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ seconds })}\n`);
  process.exit(0);
}

async function bareClientDrain(url: string, token: string, drafts: SampleDraft[]): Promise<number> {
  const socket = io(`${url}${DEVICE_NAMESPACE}`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const hello = DeviceHelloSchema.parse(
    await new Promise((resolve) => socket.once('hello', resolve)),
  );
  const size = Math.min(1000, hello.maxBatchSamples);
  const samples = drafts.map((d, i) => ({ seq: hello.highestStoredSeq + i + 1, ...d }));
  const started = performance.now();
  let nextIndex = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < 8 && nextIndex < samples.length) {
        const batch = samples.slice(nextIndex, nextIndex + size);
        nextIndex += batch.length;
        inFlight += 1;
        socket
          .timeout(60_000)
          .emit('telemetry', { samples: batch }, (error: Error | null, reply: unknown) => {
            inFlight -= 1;
            const parsed = BatchReplySchema.safeParse(reply);
            if (error || !parsed.success || !('ok' in parsed.data)) {
              reject(error ?? new Error(`bad reply ${JSON.stringify(reply)}`));
              return;
            }
            if (nextIndex >= samples.length && inFlight === 0) resolve();
            else pump();
          });
      }
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  socket.close();
  return seconds;
}

// ---------------------------------------------------------------- measurement

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU share of one core and memory of a running child over the measuring window. */
async function measure(
  child: ChildProcess,
): Promise<{ cpuPct: number; rssMb: number; rssMaxMb: number }> {
  const pid = child.pid;
  if (!pid) throw new Error('no pid');
  await sleep(WARMUP_S * 1000);
  if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode})`);
  const t0 = performance.now();
  const c0 = cpuTicks(pid);
  const samples: number[] = [];
  for (let s = 0; s < MEASURE_S; s += 1) {
    await sleep(1000);
    samples.push(rssMb(pid));
  }
  const cpuSeconds = (cpuTicks(pid) - c0) / TICKS;
  const wall = (performance.now() - t0) / 1000;
  return {
    cpuPct: round((cpuSeconds / wall) * 100, 2),
    rssMb: round(samples.reduce((a, b) => a + b, 0) / samples.length, 1),
    rssMaxMb: round(Math.max(...samples), 1),
  };
}

async function stopChild(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  return out;
}

// ---------------------------------------------------------------- phases

async function startServer(): Promise<{ server: FleetlineServer; url: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-companion-server-'));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    STATS_INTERVAL_S: '0',
    CONSOLE_DIR: '',
    PASSWORD_HASH_COST: '12',
  });
  const server = await createFleetlineServer(config);
  const { url } = await server.listen();
  return { server, url, dir };
}

let fleetNo = 0;
async function register(
  server: FleetlineServer,
  name: string,
): Promise<{ token: string; deviceId: number }> {
  const fleet = await server.accounts.createFleet({
    name: `Bench ${fleetNo++}`,
    overspeedLimitKmh: 90,
  });
  const r = await server.accounts.registerVehicle({
    name,
    plate: name.slice(0, 10),
    fleetIds: [fleet.id],
  });
  return { token: r.device.token, deviceId: r.device.id };
}

function storedCount(dbFile: string, deviceId: number): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    let n = 0;
    for (const table of [
      'positions',
      'readings',
      'dtc_reports',
      'device_statuses',
      'driving_events',
    ]) {
      n += (
        db.prepare(`SELECT count(*) AS n FROM ${table} WHERE device_id = ?`).get(deviceId) as {
          n: number;
        }
      ).n;
    }
    return n;
  } finally {
    db.close();
  }
}

async function pollingPhase(server: FleetlineServer, url: string, dbFile: string) {
  const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 11 });
  if (!car) throw new Error('no car');
  const rig = await createVehicleRig({
    vehicle: car,
    link: 'pty',
    gpsHz: GPS_HZ,
    paceSerial: true,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-companion-'));
  try {
    const vehicle = await register(server, 'Bench polling');
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        name: 'bench',
        server: { url, token: vehicle.token },
        devices: {
          obd: { transport: 'serial', path: rig.obdLink.hostPath, baudRate: 38400 },
          gps: { transport: 'serial', path: rig.gpsLink.hostPath, baudRate: 115200 },
        },
        storage: { dataDir: path.join(dir, 'state') },
        health: { port: null },
        log: { level: 'warn' },
      }),
    );
    progress(`polling: companion for ${WARMUP_S} + ${MEASURE_S} s`);
    const companion = spawn(
      process.execPath,
      [...COMPANION_NODE_FLAGS, CLI, 'run', '--config', config],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let before = 0;
    setTimeout(() => (before = storedCount(dbFile, vehicle.deviceId)), WARMUP_S * 1000).unref();
    const companionFigures = await measure(companion);
    const delivered = storedCount(dbFile, vehicle.deviceId) - before;
    await stopChild(companion);

    progress(`polling: hardware-only baseline for ${WARMUP_S} + ${MEASURE_S} s`);
    const baseline = spawn(
      process.execPath,
      [...COMPANION_NODE_FLAGS, POLLER, rig.obdLink.hostPath ?? '', rig.gpsLink.hostPath ?? ''],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const baselineFigures = await measure(baseline);
    const counts = lastJson(await stopChild(baseline)) as { readings?: number; fixes?: number };
    return {
      seconds: MEASURE_S,
      pids: DEFAULT_POLL_PLAN.length,
      gpsHz: GPS_HZ,
      companion: { ...companionFigures, samplesDeliveredPerS: round(delivered / MEASURE_S, 1) },
      baseline: {
        ...baselineFigures,
        readings: counts.readings ?? null,
        fixes: counts.fixes ?? null,
      },
      nodeFlags: COMPANION_NODE_FLAGS.join(' '),
      companionOverBaseline: {
        cpu: round(companionFigures.cpuPct / Math.max(0.01, baselineFigures.cpuPct), 2),
        rss: round(companionFigures.rssMb / baselineFigures.rssMb, 2),
      },
      target: { cpuPct: 5, rssMb: 80 },
      withinTarget: companionFigures.cpuPct < 5 && companionFigures.rssMaxMb < 80,
    };
  } finally {
    await rig.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An hour of this vehicle's samples: 10 Hz positions, the default plan's readings, battery each minute. */
function oneHour(endAt: number): SampleDraft[] {
  const drafts: SampleDraft[] = [];
  const start = endAt - 3_600_000;
  const next = new Map(DEFAULT_POLL_PLAN.map((p) => [p.pid, start]));
  for (let t = start; t < endAt; t += 100) {
    const k = (t - start) / 1000;
    drafts.push({
      kind: 'position',
      t,
      lat: 52.52 + Math.sin(k / 300) * 0.01,
      lon: 13.405 + Math.cos(k / 300) * 0.01,
      speedKmh: 30 + 20 * Math.sin(k / 40),
      headingDeg: (k * 3) % 360,
      altitudeM: 34,
      hdop: 0.9,
      satellites: 10,
      fixQuality: 'gps',
    });
    for (const p of DEFAULT_POLL_PLAN) {
      if ((next.get(p.pid) ?? 0) > t) continue;
      next.set(p.pid, t + p.everyS * 1000);
      drafts.push({
        kind: 'reading',
        t,
        pid: p.pid,
        part: 0,
        value: Math.round(50 + 40 * Math.sin(k / 17 + p.pid)),
        unit: 'x',
      });
    }
    if ((t - start) % 60_000 === 0)
      drafts.push({ kind: 'status', t, batteryV: 14.1, ignition: true });
  }
  return drafts;
}

async function backlogPhase(server: FleetlineServer, url: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backlog-'));
  try {
    const drafts = oneHour(Date.now() - 60_000);
    const file = path.join(dir, 'hour.json');
    fs.writeFileSync(file, JSON.stringify(drafts));
    const run = async (mode: string): Promise<number> => {
      progress(`backlog: ${drafts.length} samples, ${mode}`);
      const vehicle = await register(server, `Bench ${mode}`);
      const child = spawn(
        process.execPath,
        [HERE, '--drain-child', mode, url, vehicle.token, file],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((resolve) => child.once('close', resolve));
      const seconds = (lastJson(out) as { seconds?: number }).seconds;
      if (seconds === undefined) throw new Error(`the ${mode} drain reported nothing`);
      return seconds;
    };
    const bare = await run('bare');
    const companion = await run('companion');
    const uncapped = await run('uncapped');
    const ceiling = CompanionConfigSchema.shape.uplink.parse(undefined).backlogSamplesPerSecond;
    return {
      samples: drafts.length,
      companionSeconds: round(companion, 2),
      companionBacklogCeilingPerS: ceiling,
      companionUncappedSeconds: round(uncapped, 2),
      bareClientSeconds: round(bare, 2),
      companionUncappedOverBare: round(uncapped / bare, 2),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function outboxPhase() {
  progress('outbox throughput');
  const n = 60_000;
  /** Timed one per commit; the rest only fill the outbox for the drain. */
  const commits = 3000;
  const drafts = oneHour(Date.now()).slice(0, n);
  const fill = 1000;
  const result: Record<string, { commitsPerS: number; drainPerS: number }> = {};
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-outbox-'));
    try {
      const outbox = Outbox.open({
        file: path.join(dir, 'outbox.sqlite'),
        maxBytes: 1 << 30,
        synchronous,
        logger: silent,
      });
      let t0 = performance.now();
      for (let i = 0; i < commits; i += 1) outbox.append(drafts.slice(i, i + 1));
      const write = commits / ((performance.now() - t0) / 1000);
      for (let i = commits; i < n; i += fill) outbox.append(drafts.slice(i, Math.min(n, i + fill)));
      t0 = performance.now();
      let cursor = 0;
      for (;;) {
        const rows = outbox.read(cursor, null, 500);
        if (rows.length === 0) break;
        const first = rows[0]?.seq ?? 0;
        const last = rows.at(-1)?.seq ?? 0;
        outbox.settle(first, last);
        cursor = last;
      }
      const drain = n / ((performance.now() - t0) / 1000);
      outbox.close();

      const db = new Database(path.join(dir, 'bare.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.exec('CREATE TABLE samples (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO samples (seq, body) VALUES (?, ?)');
      const insertMany = db.transaction((rows: SampleDraft[], from: number) => {
        rows.forEach((d, i) => insert.run(from + i + 1, JSON.stringify(d)));
      });
      t0 = performance.now();
      for (let i = 0; i < commits; i += 1) insertMany(drafts.slice(i, i + 1), i);
      const bareWrite = commits / ((performance.now() - t0) / 1000);
      for (let i = commits; i < n; i += fill) insertMany(drafts.slice(i, Math.min(n, i + fill)), i);
      const select = db.prepare(
        'SELECT seq, body FROM samples WHERE seq > ? ORDER BY seq LIMIT 500',
      );
      const remove = db.prepare('DELETE FROM samples WHERE seq >= ? AND seq <= ?');
      t0 = performance.now();
      let at = 0;
      for (;;) {
        const rows = select.all(at) as { seq: number; body: string }[];
        if (rows.length === 0) break;
        for (const row of rows) JSON.parse(row.body);
        const first = rows[0]?.seq ?? 0;
        at = rows.at(-1)?.seq ?? 0;
        db.transaction(() => remove.run(first, at))();
      }
      const bareDrain = n / ((performance.now() - t0) / 1000);
      db.close();
      result[synchronous] = { commitsPerS: Math.round(write), drainPerS: Math.round(drain) };
      result[`${synchronous}_bareBaseline`] = {
        commitsPerS: Math.round(bareWrite),
        drainPerS: Math.round(bareDrain),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { samples: n, commitsOfOneSample: commits, drainBatch: 500, ...result };
}

async function main(): Promise<void> {
  const { server, url, dir } = await startServer();
  try {
    const dbFile = path.join(dir, 'fleetline.sqlite');
    const polling = await pollingPhase(server, url, dbFile);
    const outbox = outboxPhase();
    const backlog = await backlogPhase(server, url);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'companion',
        polling,
        outbox,
        backlog,
        node: process.version,
        cpus: os.cpus().length,
        loadavg: os.loadavg().map((l) => round(l, 2)),
      })}\n`,
    );
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The last JSON line a child printed, or {} when it printed none. */
function lastJson(out: string): unknown {
  const line = out.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return {};
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const [flag, ...rest] = process.argv.slice(2);
if (flag === '--drain-child')
  await drainChild(rest[0] ?? '', rest[1] ?? '', rest[2] ?? '', rest[3] ?? '');
else await main();
