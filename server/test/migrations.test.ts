import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '@fleetline/migrations';
import { createDatabase } from '../src/db/database.js';
import type { Database } from '../src/db/database.js';
import { migrateLatest, migrateRollback, pendingMigrations } from '../src/db/migrate.js';
import { databaseTargets } from './harness.js';
import type { TestDatabase } from './harness.js';

const TABLES = [
  'users',
  'fleets',
  'fleet_members',
  'vehicles',
  'fleet_vehicles',
  'devices',
  'sessions',
  'positions',
  'readings',
  'dtc_reports',
  'device_statuses',
  'vehicle_states',
  'events',
  'driving_events',
  'vehicle_changes',
];

describe.each(databaseTargets())('migrations on $name', (target) => {
  let test: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    test = await target.create();
    db = createDatabase(test.config);
  });
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  const existing = async () => {
    const present: string[] = [];
    for (const table of TABLES) if (await db.knex.schema.hasTable(table)) present.push(table);
    return present;
  };

  it('applies every migration on an empty database, then reports none pending', async () => {
    expect(await pendingMigrations(db)).toEqual(migrations.map((m) => m.name));
    const report = await migrateLatest(db);
    expect(report.applied).toEqual(migrations.map((m) => m.name));
    expect(await existing()).toEqual(TABLES);
    expect(await pendingMigrations(db)).toEqual([]);
    expect((await migrateLatest(db)).applied).toEqual([]);
  });

  it('builds the same constraints on both databases: the sample key rejects a second row', async () => {
    const row = {
      device_id: 1,
      seq: 1,
      vehicle_id: 1,
      t: 1,
      lat: 0,
      lon: 0,
      fix_quality: 'gps',
      received_at: 1,
    };
    await db.knex('positions').insert(row);
    await expect(db.knex('positions').insert(row)).rejects.toThrow();
    await db.knex('positions').delete();
  });

  it('rolls back to nothing and migrates up again', async () => {
    const down = await migrateRollback(db, true);
    expect([...down.applied].sort()).toEqual(migrations.map((m) => m.name).sort());
    expect(await existing()).toEqual([]);
    expect((await migrateLatest(db)).applied).toHaveLength(migrations.length);
    expect(await existing()).toEqual(TABLES);
  });

  it('rolls back one batch at a time', async () => {
    await migrateRollback(db, true);
    for (const migration of migrations) {
      await db.knex.migrate.up({
        migrationSource: (await import('@fleetline/migrations')).migrationSource,
        name: migration.name,
      });
    }
    const last = await migrateRollback(db);
    expect(last.applied).toEqual([migrations.at(-1)!.name]);
    // Exactly the last migration is pending again; the ones before it stay applied.
    expect(await pendingMigrations(db)).toEqual([migrations.at(-1)!.name]);
    expect(await db.knex.schema.hasColumn('devices', 'last_outbox_id')).toBe(false);
    expect(await db.knex.schema.hasTable('vehicle_changes')).toBe(true);
    expect(await db.knex.schema.hasColumn('device_statuses', 'obd_link')).toBe(true);
    expect(await db.knex.schema.hasColumn('vehicle_states', 'backlog')).toBe(true);
    expect(await db.knex.schema.hasColumn('vehicles', 'driver_user_id')).toBe(true);
    expect(await db.knex.schema.hasTable('driving_events')).toBe(true);
  });
});
