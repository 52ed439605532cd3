import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import type { Core } from '../src/core.js';
import type { Step } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { RetentionRepository } from '../src/repositories/retention.js';
import { RetentionSweeper } from '../src/services/retention-sweeper.js';
import { Histogram } from './lib/histogram.js';
import { prepareDatabase } from './lib/targets.js';
import type { DbKind } from './lib/targets.js';

/**
 * What a retention sweep costs the ingest path. Seeds V vehicles with R aged
 * positions and R aged readings each (40 days old, past a 30-day retention)
 * and R/10 recent ones, then writes small ingest-like transactions (20
 * positions, one every 20 ms, through the same database thread the server's
 * ticks use) and measures how long each takes: first for BASELINE seconds
 * with no sweep (the baseline), then while the sweep deletes the aged rows.
 * Prints one JSON line.
 */

const DAY = 86_400_000;
const TICK_EVERY_MS = 20;
const TICK_ROWS = 20;

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    vehicles: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '500' },
    'baseline-seconds': { type: 'string', default: '5' },
    'chunk-rows': { type: 'string', default: '2000' },
  },
});
const db = values.db as DbKind;
if (db !== 'sqlite' && db !== 'postgres') throw new Error('--db is sqlite or postgres');
const vehicles = Number(values.vehicles);
const rowsPerVehicle = Number(values.rows);
const baselineSeconds = Number(values['baseline-seconds']);

const log = (message: string) => process.stderr.write(`[bench:retention] ${message}\n`);

async function seedHistory(core: Core, vehicleIds: number[], now: number): Promise<number> {
  let seq = 0;
  let aged = 0;
  const columns = '(device_id, seq, vehicle_id, t, lat, lon, fix_quality, received_at)';
  const readingColumns = '(device_id, seq, vehicle_id, t, pid, part, value, unit, received_at)';
  const perStatement = 500;
  for (const vehicleId of vehicleIds) {
    const total = rowsPerVehicle + Math.ceil(rowsPerVehicle / 10);
    for (let from = 0; from < total; from += perStatement) {
      const positions: unknown[] = [];
      const readings: unknown[] = [];
      const count = Math.min(perStatement, total - from);
      for (let i = 0; i < count; i++) {
        const isAged = from + i < rowsPerVehicle;
        const t = now - (isAged ? 40 * DAY : DAY) + (from + i) * 1000;
        if (isAged) aged += 2;
        positions.push(vehicleId, ++seq, vehicleId, t, 59.3, 18.1, 'gps', t);
        readings.push(vehicleId, ++seq, vehicleId, t, 12, 0, 800, 'rpm', t);
      }
      const rows = (n: number, width: number) =>
        Array.from({ length: n }, () => `(${Array(width).fill('?').join(', ')})`).join(', ');
      await core.db.runSteps([
        {
          statements: [
            {
              sql: `INSERT INTO positions ${columns} VALUES ${rows(count, 8)}`,
              params: positions,
              returns: false,
            },
            {
              sql: `INSERT INTO readings ${readingColumns} VALUES ${rows(count, 9)}`,
              params: readings,
              returns: false,
            },
          ],
        },
      ]);
    }
  }
  return aged;
}

/** Ingest-like transactions every TICK_EVERY_MS until `stop` resolves; their durations. */
async function ticks(core: Core, stop: Promise<unknown>, seqBase: number): Promise<Histogram> {
  const latency = new Histogram();
  let done = false;
  void stop.then(() => (done = true));
  let seq = seqBase;
  while (!done) {
    const params: unknown[] = [];
    const t = Date.now();
    for (let i = 0; i < TICK_ROWS; i++) params.push(1, ++seq, 1, t, 59.3, 18.1, 'gps', t);
    const step: Step = {
      statements: [
        {
          sql: `INSERT INTO positions (device_id, seq, vehicle_id, t, lat, lon, fix_quality, received_at) VALUES ${Array.from({ length: TICK_ROWS }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          params,
          returns: false,
        },
      ],
    };
    const started = performance.now();
    await core.db.runSteps([step]);
    const took = performance.now() - started;
    latency.record(took);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_EVERY_MS - took)));
  }
  return latency;
}

async function main(): Promise<void> {
  const database = prepareDatabase(db);
  try {
    log(`seeding ${vehicles} vehicles on ${db}`);
    const specs = await database.seed(vehicles);
    const config = loadConfig({
      ...database.env,
      TELEMETRY_RETENTION_DAYS: '30',
      PASSWORD_HASH_COST: '12',
    });
    const core = await createCore(config, { logger: createLogger('warn') });
    try {
      const now = Date.now();
      const aged = await seedHistory(
        core,
        specs.map((s) => s.vehicleId),
        now,
      );
      log(`${aged} aged rows written; baseline for ${baselineSeconds} s`);
      const baseline = await ticks(
        core,
        new Promise((resolve) => setTimeout(resolve, baselineSeconds * 1000)),
        1e12,
      );
      const sweeper = new RetentionSweeper(
        new RetentionRepository(core.db.knex),
        config.retention,
        createLogger('warn'),
        { chunkRows: Number(values['chunk-rows']) },
      );
      const started = performance.now();
      const sweep = sweeper.sweep(now);
      const during = await ticks(core, sweep, 2e12);
      const report = await sweep;
      const seconds = (performance.now() - started) / 1000;
      const deleted = Object.values(report).reduce((sum, n) => sum + n, 0);
      process.stdout.write(
        `${JSON.stringify({
          mode: 'retention',
          db,
          vehicles,
          chunk_rows: Number(values['chunk-rows']),
          aged_rows: aged,
          deleted_rows: deleted,
          sweep_s: Math.round(seconds * 10) / 10,
          deleted_per_s: Math.round(deleted / seconds),
          tick_p50_ms: during.percentile(50),
          tick_p99_ms: during.percentile(99),
          tick_max_ms: during.percentile(100),
          baseline_tick_p50_ms: baseline.percentile(50),
          baseline_tick_p99_ms: baseline.percentile(99),
          baseline_tick_max_ms: baseline.percentile(100),
        })}\n`,
      );
    } finally {
      await core.db.close();
    }
  } finally {
    await database.drop();
  }
}

await main();
