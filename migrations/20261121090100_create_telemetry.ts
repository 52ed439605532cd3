import type { Knex } from 'knex';

// Sample tables are append-only and written in multi-row statements, one
// transaction per ingest tick. The primary key (device_id, seq) is what makes
// a replayed sample a no-op: inserts use ON CONFLICT DO NOTHING. There are no
// foreign keys here on purpose: they would be checked on every row of the
// hottest write path, and devices are revoked, never deleted.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('positions', (t) => {
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('t').notNullable();
    t.double('lat').notNullable();
    t.double('lon').notNullable();
    t.double('speed_kmh').nullable();
    t.double('heading_deg').nullable();
    t.double('altitude_m').nullable();
    t.double('hdop').nullable();
    t.smallint('satellites').nullable();
    t.string('fix_quality', 12).notNullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['device_id', 'seq']);
    t.index(['vehicle_id', 't']);
  });

  await knex.schema.createTable('readings', (t) => {
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('t').notNullable();
    t.smallint('pid').notNullable();
    t.smallint('part').notNullable();
    t.double('value').notNullable();
    t.string('unit', 16).notNullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['device_id', 'seq']);
    t.index(['vehicle_id', 't']);
  });

  await knex.schema.createTable('dtc_reports', (t) => {
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('t').notNullable();
    t.string('dtc_kind', 10).notNullable();
    // JSON array of codes, as text on both databases.
    t.text('codes').notNullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['device_id', 'seq']);
    t.index(['vehicle_id', 't']);
  });

  await knex.schema.createTable('device_statuses', (t) => {
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('t').notNullable();
    t.double('battery_v').nullable();
    t.boolean('ignition').nullable();
    t.string('gps_fix', 12).nullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['device_id', 'seq']);
    t.index(['vehicle_id', 't']);
  });

  // The latest known state per vehicle, upserted in the same transaction as
  // the samples it came from, so the console snapshot survives a restart.
  await knex.schema.createTable('vehicle_states', (t) => {
    t.integer('vehicle_id').primary().references('id').inTable('vehicles').onDelete('CASCADE');
    t.boolean('online').notNullable();
    t.bigInteger('last_seen_at').nullable();
    t.boolean('overspeed').notNullable();
    t.bigInteger('position_t').nullable();
    t.double('lat').nullable();
    t.double('lon').nullable();
    t.double('speed_kmh').nullable();
    t.double('heading_deg').nullable();
    t.double('altitude_m').nullable();
    t.double('hdop').nullable();
    t.smallint('satellites').nullable();
    t.string('fix_quality', 12).nullable();
    t.bigInteger('status_t').nullable();
    t.double('battery_v').nullable();
    t.boolean('ignition').nullable();
    t.string('gps_fix', 12).nullable();
    // JSON: latest reading per (pid, part), and the current code set per kind.
    t.text('readings').notNullable();
    t.text('dtcs').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'vehicle_states',
    'device_statuses',
    'dtc_reports',
    'readings',
    'positions',
  ]) {
    await knex.schema.dropTable(table);
  }
}
