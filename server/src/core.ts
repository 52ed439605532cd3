import type { ServerConfig } from './config.js';
import { createDatabase } from './db/database.js';
import type { Database } from './db/database.js';
import { migrateLatest } from './db/migrate.js';
import { systemClock } from './domain/clock.js';
import type { Clock } from './domain/clock.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { DeviceRepository } from './repositories/devices.js';
import { EventRepository } from './repositories/events.js';
import { FleetRepository } from './repositories/fleets.js';
import { SessionRepository } from './repositories/sessions.js';
import { TelemetryRepository } from './repositories/telemetry.js';
import { UserRepository } from './repositories/users.js';
import { VehicleChangeRepository } from './repositories/vehicle-changes.js';
import { VehicleStateRepository } from './repositories/vehicle-states.js';
import { VehicleRepository } from './repositories/vehicles.js';
import { AccessPolicy } from './services/access.js';
import { AccountService } from './services/account-service.js';
import { AuthService } from './services/auth-service.js';

export interface Repositories {
  users: UserRepository;
  fleets: FleetRepository;
  vehicles: VehicleRepository;
  devices: DeviceRepository;
  sessions: SessionRepository;
  telemetry: TelemetryRepository;
  vehicleStates: VehicleStateRepository;
  events: EventRepository;
  vehicleChanges: VehicleChangeRepository;
}

/** Database, repositories and account services: what the server and the CLI share. */
export interface Core {
  config: ServerConfig;
  logger: Logger;
  clock: Clock;
  db: Database;
  repos: Repositories;
  access: AccessPolicy;
  auth: AuthService;
  accounts: AccountService;
}

export interface CoreOptions {
  logger?: Logger;
  clock?: Clock;
  /** Apply pending migrations (the default); the CLI's migrate commands turn this off. */
  migrate?: boolean;
}

export async function createCore(config: ServerConfig, options: CoreOptions = {}): Promise<Core> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const db = createDatabase(config.database, logger);
  try {
    if (options.migrate !== false) {
      const report = await migrateLatest(db);
      if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  const { knex, dialect } = db;
  const repos: Repositories = {
    users: new UserRepository(knex),
    fleets: new FleetRepository(knex),
    vehicles: new VehicleRepository(knex),
    devices: new DeviceRepository(knex),
    sessions: new SessionRepository(knex),
    telemetry: new TelemetryRepository(knex, dialect),
    vehicleStates: new VehicleStateRepository(knex, dialect),
    events: new EventRepository(knex, dialect),
    vehicleChanges: new VehicleChangeRepository(knex),
  };
  const access = new AccessPolicy(repos.fleets, repos.vehicles);
  const auth = new AuthService(repos.users, repos.sessions, clock, config);
  const accounts = new AccountService(knex, repos, clock, config);
  return { config, logger, clock, db, repos, access, auth, accounts };
}
