import type { Knex } from 'knex';
import * as createAccounts from './20261121090000_create_accounts.js';
import * as createTelemetry from './20261121090100_create_telemetry.js';
import * as createEvents from './20261121090200_create_events.js';
import * as createDrivingEvents from './20261121090300_create_driving_events.js';
import * as addVehicleDriver from './20261121090400_add_vehicle_driver.js';
import * as addDeviceHealth from './20261121090500_add_device_health.js';
import * as createVehicleChanges from './20261122090000_create_vehicle_changes.js';
import * as addDeviceOutbox from './20261122100000_add_device_outbox.js';

export interface NamedMigration extends Knex.Migration {
  name: string;
}

/**
 * Every migration, oldest first. Listed here rather than discovered on disk
 * so the same code runs compiled, under vitest, and from the CLI. A new
 * migration is a new file named `YYYYMMDDHHMMSS_verb_noun.ts` and a line here.
 */
export const migrations: readonly NamedMigration[] = [
  { name: '20261121090000_create_accounts', ...createAccounts },
  { name: '20261121090100_create_telemetry', ...createTelemetry },
  { name: '20261121090200_create_events', ...createEvents },
  { name: '20261121090300_create_driving_events', ...createDrivingEvents },
  { name: '20261121090400_add_vehicle_driver', ...addVehicleDriver },
  { name: '20261121090500_add_device_health', ...addDeviceHealth },
  { name: '20261122090000_create_vehicle_changes', ...createVehicleChanges },
  { name: '20261122100000_add_device_outbox', ...addDeviceOutbox },
];

export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: (migration) => migration.name,
  getMigration: (migration) => Promise.resolve(migration),
};
