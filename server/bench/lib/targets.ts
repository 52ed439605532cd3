import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { createCore } from '../../src/core.js';
import { createDatabase } from '../../src/db/database.js';
import { rawRows } from '../../src/db/dialect.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { DeviceSpec } from '../load/messages.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SERVER_MAIN = path.resolve(here, '../../src/main.js');
export const RELAY_MAIN = path.resolve(here, '../relay.js');
/** Node flags of the server in production: the same as the launcher (scripts/start.ts) uses. */
export const SERVER_NODE_FLAGS = '--max-semi-space-size=64';
export const BENCH_ADMIN = { email: 'bench@fleetline.local', password: 'bench password 123' };

export type DbKind = 'sqlite' | 'postgres';

/** A fresh database for one run, with the environment the server needs to use it. */
export interface BenchDatabase {
  env: Record<string, string>;
  seed(vehicles: number): Promise<DeviceSpec[]>;
  /** Rows and distinct (device, seq) keys across the sample tables. */
  countSamples(): Promise<{ rows: number; distinct: number }>;
  drop(): Promise<void>;
}

export function prepareDatabase(kind: DbKind): BenchDatabase {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-bench-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pgUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const env: Record<string, string> =
    kind === 'sqlite'
      ? { DATA_DIR: dataDir }
      : { DATA_DIR: dataDir, DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema };
  const config = () =>
    loadConfig({ ...env, SQLITE_SYNCHRONOUS: 'NORMAL', PASSWORD_HASH_COST: '12' });

  return {
    env,
    async seed(vehicles) {
      const core = await createCore(config(), { logger: createLogger('warn') });
      try {
        const fleet = await core.accounts.createFleet({ name: 'Bench', overspeedLimitKmh: 90 });
        await core.accounts.createUser({ ...BENCH_ADMIN, name: 'Bench', role: 'admin' });
        const specs: DeviceSpec[] = [];
        const parallel = kind === 'postgres' ? 8 : 1;
        let next = 0;
        await Promise.all(
          Array.from({ length: parallel }, async () => {
            while (next < vehicles) {
              const i = next++;
              const r = await core.accounts.registerVehicle({
                name: `Bench ${i + 1}`,
                plate: `B${i + 1}`,
                fleetIds: [fleet.id],
              });
              specs.push({ vehicleId: r.vehicle.id, token: r.device.token });
            }
          }),
        );
        return specs.sort((a, b) => a.vehicleId - b.vehicleId);
      } finally {
        await core.db.close();
      }
    },
    async countSamples() {
      const db = createDatabase(config().database);
      try {
        const count = async (sql: string) =>
          Number(rawRows<{ n: unknown }>(await db.knex.raw(sql))[0]?.n ?? 0);
        const rows = await count(
          'SELECT (SELECT COUNT(*) FROM positions) + (SELECT COUNT(*) FROM readings) AS n',
        );
        const distinct = await count(
          'SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT device_id, seq FROM positions) a) + (SELECT COUNT(*) FROM (SELECT DISTINCT device_id, seq FROM readings) b) AS n',
        );
        return { rows, distinct };
      } finally {
        await db.close();
      }
    },
    async drop() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (kind === 'postgres') {
        const knex = knexFactory({ client: 'pg', connection: pgUrl });
        try {
          await knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
        } finally {
          await knex.destroy();
        }
      }
    },
  };
}

export interface SpawnedServer {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<number | null>;
}

/** Starts the real server (or the relay) as its own process and waits for its URL. */
export function spawnServer(main: string, env: Record<string, string>): Promise<SpawnedServer> {
  // The server runs with the flags `npm start` gives it (see the root
  // package.json); BENCH_SERVER_NODE_ARGS replaces them, e.g. to add --cpu-prof.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? SERVER_NODE_FLAGS)
    .split(' ')
    .filter(Boolean);
  if (process.env.BENCH_PROFILE_DIR || process.env.BENCH_HEARTBEAT) {
    nodeArgs.push('--import', path.resolve(here, 'profile-on-signal.js'));
  }
  // Server settings given to the benchmark pass through, so a run can try other tick lengths.
  const passthrough = Object.fromEntries(
    [
      'INGEST_FLUSH_MS',
      'CONSOLE_FLUSH_MS',
      'SQLITE_SYNCHRONOUS',
      'LOG_LEVEL',
      'BENCH_PROFILE_DIR',
      'BENCH_HEARTBEAT',
      'BENCH_HEAP_PROFILE',
      'STATS_INTERVAL_S',
    ].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
  );
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: '0', ...passthrough, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // BENCH_SERVER_LOG=<file> keeps the server's own log for a look afterwards.
  if (process.env.BENCH_SERVER_LOG)
    child.stdout.pipe(fs.createWriteStream(process.env.BENCH_SERVER_LOG));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const url = /running at (http:\/\/[\d.:]+)/.exec(output)?.[1];
      if (!url) return;
      child.stdout.off('data', onData);
      resolve({
        child,
        pid: child.pid!,
        url,
        stop: () =>
          new Promise((done) => {
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code) => reject(new Error(`server exited early (${code}):\n${output}`)));
  });
}
