import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createFleetlineServer, loadConfig } from '@fleetline/server';
import type { FleetlineServer, ServerConfig } from '@fleetline/server';
import type { TelemetrySampleInput } from '@fleetline/protocol';

/**
 * The real server for companion tests: SQLite in a temporary directory,
 * silent, port 0 the first time. restart() brings it back on the same port
 * and the same database, as after a crash or an update.
 */
export interface TestServer {
  server: FleetlineServer;
  url: string;
  port: number;
  dir: string;
  dbFile: string;
  /** Graceful stop (acks pending batches, then closes). */
  stop(): Promise<void>;
  /** Starts again on the same port and database. */
  restart(overrides?: Partial<ServerConfig>): Promise<void>;
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-server-'));
  const base = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SQLITE_SYNCHRONOUS: 'NORMAL',
    PASSWORD_HASH_COST: '12',
    STATS_INTERVAL_S: '0',
    INGEST_FLUSH_MS: '5',
    CONSOLE_DIR: '',
  });
  const config: ServerConfig = { ...base, ...overrides };
  let server = await createFleetlineServer(config);
  const { port } = await server.listen();
  const handle: TestServer = {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    dbFile: config.database.kind === 'sqlite' ? config.database.filename : '',
    async stop() {
      await server.close();
    },
    async restart(more = {}) {
      server = await createFleetlineServer({ ...config, ...more, port });
      await server.listen();
      handle.server = server;
    },
  };
  return handle;
}

let fleetCounter = 1;

export async function registerVehicle(
  server: FleetlineServer,
  name: string,
): Promise<{ token: string; deviceId: number; vehicleId: number }> {
  const fleetId = (
    await server.accounts.createFleet({
      name: `Fleet of ${name} ${fleetCounter++}`,
      overspeedLimitKmh: 90,
    })
  ).id;
  const result = await server.accounts.registerVehicle({
    name,
    plate: name.slice(0, 10),
    fleetIds: [fleetId],
  });
  return { token: result.device.token, deviceId: result.device.id, vehicleId: result.vehicle.id };
}

/** Every sample the server stored for a device, as protocol samples, in insertion order per table. */
export function storedSamples(
  dbFile: string,
  deviceId: number,
): (TelemetrySampleInput & { rowid: number })[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows: (TelemetrySampleInput & { rowid: number })[] = [];
    const q = (sql: string) => db.prepare(sql).all(deviceId) as Record<string, unknown>[];
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    for (const r of q('SELECT rowid, * FROM positions WHERE device_id = ? ORDER BY rowid')) {
      rows.push({
        rowid: Number(r.rowid),
        kind: 'position',
        seq: Number(r.seq),
        t: Number(r.t),
        lat: Number(r.lat),
        lon: Number(r.lon),
        speedKmh: n(r.speed_kmh),
        headingDeg: n(r.heading_deg),
        altitudeM: n(r.altitude_m),
        hdop: n(r.hdop),
        satellites: n(r.satellites),
        fixQuality: r.fix_quality as 'gps',
      });
    }
    for (const r of q('SELECT rowid, * FROM readings WHERE device_id = ? ORDER BY rowid')) {
      rows.push({
        rowid: Number(r.rowid),
        kind: 'reading',
        seq: Number(r.seq),
        t: Number(r.t),
        pid: Number(r.pid),
        part: Number(r.part),
        value: Number(r.value),
        unit: String(r.unit),
      });
    }
    for (const r of q('SELECT rowid, * FROM dtc_reports WHERE device_id = ? ORDER BY rowid')) {
      rows.push({
        rowid: Number(r.rowid),
        kind: 'dtc',
        seq: Number(r.seq),
        t: Number(r.t),
        dtcKind: r.dtc_kind as 'stored',
        codes: JSON.parse(String(r.codes)) as string[],
      });
    }
    for (const r of q('SELECT rowid, * FROM device_statuses WHERE device_id = ? ORDER BY rowid')) {
      rows.push({
        rowid: Number(r.rowid),
        kind: 'status',
        seq: Number(r.seq),
        t: Number(r.t),
        batteryV: n(r.battery_v),
        ignition: r.ignition === null ? null : Boolean(r.ignition),
        gpsFix: (r.gps_fix as 'gps' | null) ?? null,
        obdLink: (r.obd_link as 'polling' | null) ?? null,
        gpsReceiver: (r.gps_receiver as 'fix' | null) ?? null,
        backlog: n(r.backlog),
      });
    }
    for (const r of q('SELECT rowid, * FROM driving_events WHERE device_id = ? ORDER BY rowid')) {
      rows.push({
        rowid: Number(r.rowid),
        kind: 'driving',
        seq: Number(r.seq),
        t: Number(r.t),
        event: r.event as 'trip_start',
        lat: n(r.lat),
        lon: n(r.lon),
        speedKmh: n(r.speed_kmh),
        accelMs2: n(r.accel_ms2),
        durationS: n(r.duration_s),
        distanceKm: n(r.distance_km),
      });
    }
    return rows;
  } finally {
    db.close();
  }
}

/** A sample with absent optional fields written as null, for comparing companion and server. */
export function normalised(sample: TelemetrySampleInput): Record<string, unknown> {
  const optional: Record<string, string[]> = {
    position: ['speedKmh', 'headingDeg', 'altitudeM', 'hdop', 'satellites'],
    status: ['batteryV', 'ignition', 'gpsFix', 'obdLink', 'gpsReceiver', 'backlog'],
    driving: ['lat', 'lon', 'speedKmh', 'accelMs2', 'durationS', 'distanceKm'],
    reading: [],
    dtc: [],
  };
  const out: Record<string, unknown> = { ...sample };
  delete out.rowid;
  for (const key of optional[sample.kind] ?? []) out[key] ??= null;
  if (sample.kind === 'reading') out.part ??= 0;
  return out;
}

/** Polls until check returns something other than undefined. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
