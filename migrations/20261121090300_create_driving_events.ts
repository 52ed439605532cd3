import type { Knex } from 'knex';

// What companions derive about the driving (trips, idling, harsh events),
// stored like every other sample: primary key (device_id, seq), so a replay
// is a no-op, and no foreign keys on the hot path.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('driving_events', (t) => {
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('t').notNullable();
    t.string('event', 24).notNullable();
    t.double('lat').nullable();
    t.double('lon').nullable();
    t.double('speed_kmh').nullable();
    t.double('accel_ms2').nullable();
    t.double('duration_s').nullable();
    t.double('distance_km').nullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['device_id', 'seq']);
    t.index(['vehicle_id', 't']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('driving_events');
}
