import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { IdParamSchema, ROLES } from '@fleetline/protocol';
import type { Role } from '@fleetline/protocol';
import { ConfigError, loadConfig } from './config.js';
import { createCore } from './core.js';
import type { Core } from './core.js';
import { createDatabase } from './db/database.js';
import { migrateLatest, migrateRollback, pendingMigrations } from './db/migrate.js';
import { AppError } from './domain/errors.js';
import { createLogger } from './logger.js';
import { RetentionRepository } from './repositories/retention.js';
import { RetentionSweeper } from './services/retention-sweeper.js';
import type { RetentionReport } from './services/retention-sweeper.js';
import { serve } from './serve.js';

const USAGE = `Usage: fleetline <command> [options]

Commands:
  serve                                   run the server (the default)
  migrate                                 apply pending migrations
  migrate:rollback [--all]                undo the last batch of migrations (or all)
  migrate:status                          list pending migrations
  create-admin --email E --name N [--password P]
  create-fleet --name N [--overspeed-limit KMH]
  create-user --email E --name N --role R [--fleet F]... [--password P]
  register-vehicle --name N --fleet F [--fleet F]... [--plate P] [--vin V]
                                          prints the device token, once
  replace-device --vehicle ID             new device token for a vehicle; the old one is revoked
  assign-driver --vehicle ID --user U     give the vehicle to a driver (by e-mail or id); --user none takes it back
  revoke-device --device ID
  erase-history --vehicle ID [--before T] [--dry-run]
                                          delete a vehicle's history (before T: 2026-01-31, UTC
                                          midnight, or a time with Z or an offset); its current
                                          state stays; --dry-run only counts
  sweep-retention [--dry-run]             delete history past TELEMETRY_RETENTION_DAYS and
                                          EVENT_RETENTION_DAYS now (the server does it hourly);
                                          --dry-run only counts what would go

Fleets (--fleet) are given by id or by name. A generated password is printed once.
Configuration comes from the environment: see README.md.
`;

const OPTIONS = {
  email: { type: 'string' },
  name: { type: 'string' },
  password: { type: 'string' },
  role: { type: 'string' },
  fleet: { type: 'string', multiple: true },
  plate: { type: 'string' },
  vin: { type: 'string' },
  vehicle: { type: 'string' },
  user: { type: 'string' },
  device: { type: 'string' },
  'overspeed-limit': { type: 'string' },
  all: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  before: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

function required(values: Values, name: 'email' | 'name' | 'role' | 'vehicle' | 'device'): string {
  const value = values[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** An id option: refused here rather than left for the database to fail on. */
function requiredId(values: Values, name: 'vehicle' | 'device'): number {
  const parsed = IdParamSchema.safeParse(required(values, name));
  if (!parsed.success) throw new UsageError(`--${name} must be an id (1 to 2147483647)`);
  return parsed.data;
}

class UsageError extends Error {}

/**
 * --before: a day (UTC midnight) or a time with its zone, never a local time
 * that would mean different instants on different machines.
 */
function instant(text: string): number {
  const zoned = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
  // Date.parse takes 2026-02-30 as 2 March: the day must exist as written.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const real = day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  const t = zoned.test(text) && real ? Date.parse(text) : NaN;
  if (Number.isNaN(t))
    throw new UsageError(
      `--before must be a day (2026-01-31) or a time with Z or an offset (2026-01-31T12:00Z), not "${text}"`,
    );
  return t;
}

async function withCore<T>(task: (core: Core) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const core = await createCore(config, { logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    return await task(core);
  } finally {
    await core.db.close();
  }
}

const print = (text: string) => process.stdout.write(`${text}\n`);

function retentionSweeper(core: Core): RetentionSweeper {
  return new RetentionSweeper(
    new RetentionRepository(core.db.knex),
    core.config.retention,
    core.logger,
  );
}

/** One line per table: rows deleted, or that would be with --dry-run. */
function printDeleted(report: RetentionReport, dryRun: boolean): void {
  for (const [table, rows] of Object.entries(report))
    print(
      `${table}: ${rows.toLocaleString('en')} ${rows === 1 ? 'row' : 'rows'} ${dryRun ? 'would be deleted' : 'deleted'}`,
    );
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const command = positionals[0] ?? 'serve';
  if (values.help || command === 'help') {
    print(USAGE);
    return;
  }
  switch (command) {
    case 'serve':
      await serve(loadConfig());
      return;
    case 'migrate':
    case 'migrate:rollback':
    case 'migrate:status': {
      const db = createDatabase(loadConfig().database);
      try {
        if (command === 'migrate') {
          const report = await migrateLatest(db);
          print(
            report.applied.length
              ? `applied:\n  ${report.applied.join('\n  ')}`
              : 'already up to date',
          );
        } else if (command === 'migrate:rollback') {
          const report = await migrateRollback(db, values.all ?? false);
          print(
            report.applied.length
              ? `rolled back:\n  ${report.applied.join('\n  ')}`
              : 'nothing to roll back',
          );
        } else {
          const pending = await pendingMigrations(db);
          print(pending.length ? `pending:\n  ${pending.join('\n  ')}` : 'up to date');
        }
      } finally {
        await db.close();
      }
      return;
    }
    case 'create-admin':
    case 'create-user': {
      const role = command === 'create-admin' ? 'admin' : required(values, 'role');
      if (!(ROLES as readonly string[]).includes(role))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const generated = values.password === undefined;
      const password = values.password ?? randomBytes(12).toString('base64url');
      await withCore(async (core) => {
        const fleetIds = await Promise.all(
          (values.fleet ?? []).map((f) => core.accounts.findFleetId(f)),
        );
        const user = await core.accounts.createUser({
          email: required(values, 'email'),
          name: required(values, 'name'),
          role: role as Role,
          password,
          fleetIds,
        });
        print(`created ${user.role} ${user.email} (id ${user.id})`);
        if (generated) print(`password (shown once): ${password}`);
      });
      return;
    }
    case 'create-fleet':
      await withCore(async (core) => {
        const limit = values['overspeed-limit'];
        const fleet = await core.accounts.createFleet({
          name: required(values, 'name'),
          ...(limit !== undefined ? { overspeedLimitKmh: Number(limit) } : {}),
        });
        print(
          `created fleet "${fleet.name}" (id ${fleet.id}, overspeed limit ${fleet.overspeedLimitKmh} km/h)`,
        );
      });
      return;
    case 'register-vehicle':
      await withCore(async (core) => {
        if (!values.fleet?.length) throw new UsageError('--fleet is required');
        const fleetIds = await Promise.all(values.fleet.map((f) => core.accounts.findFleetId(f)));
        const { vehicle, device } = await core.accounts.registerVehicle({
          name: required(values, 'name'),
          plate: values.plate ?? null,
          vin: values.vin ?? null,
          fleetIds,
        });
        print(`registered vehicle "${vehicle.name}" (id ${vehicle.id}) with device ${device.id}`);
        print(`device token (shown once; configure it in the companion): ${device.token}`);
      });
      return;
    case 'assign-driver':
      await withCore(async (core) => {
        const vehicleId = requiredId(values, 'vehicle');
        const user = values.user;
        if (!user) throw new UsageError('--user is required (an e-mail, an id, or none)');
        let userId: number | null = null;
        if (user !== 'none') {
          userId = /^\d+$/.test(user)
            ? Number(user)
            : ((await core.repos.users.findByEmail(user))?.id ?? 0);
          if (!userId) throw new UsageError(`no user ${user}`);
        }
        const driver = await core.accounts.assignDriver(vehicleId, { userId });
        print(
          driver
            ? `vehicle ${vehicleId} is now driven by ${driver.name}`
            : `vehicle ${vehicleId} has no driver now`,
        );
      });
      return;
    case 'replace-device':
      await withCore(async (core) => {
        const device = await core.accounts.replaceDevice(requiredId(values, 'vehicle'));
        print(`new device ${device.id}; the previous device of this vehicle is revoked`);
        print(`device token (shown once): ${device.token}`);
      });
      return;
    case 'revoke-device':
      await withCore(async (core) => {
        await core.accounts.revokeDevice(requiredId(values, 'device'));
        print('revoked; a connected companion is disconnected within 15 s');
      });
      return;
    case 'erase-history':
      await withCore(async (core) => {
        const vehicleId = requiredId(values, 'vehicle');
        const before = values.before === undefined ? undefined : instant(values.before);
        const dryRun = values['dry-run'] === true;
        if (!(await core.repos.vehicles.exists(vehicleId)))
          print(`vehicle ${vehicleId} does not exist (any more): erasing what it left`);
        printDeleted(
          await retentionSweeper(core).eraseVehicle(vehicleId, before, { dryRun }),
          dryRun,
        );
      });
      return;
    case 'sweep-retention':
      await withCore(async (core) => {
        const sweeper = retentionSweeper(core);
        if (!sweeper.enabled) {
          print(
            'no retention is set (TELEMETRY_RETENTION_DAYS, EVENT_RETENTION_DAYS): all history is kept',
          );
          return;
        }
        const dryRun = values['dry-run'] === true;
        printDeleted(await sweeper.sweep(core.clock.now(), { dryRun }), dryRun);
      });
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    process.exit(64);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  if (err instanceof AppError) {
    process.stderr.write(
      `error: ${err.message}${err.errors ? `\n${err.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}` : ''}\n`,
    );
    process.exit(1);
  }
  throw err;
}
