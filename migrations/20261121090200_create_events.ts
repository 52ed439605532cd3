import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.increments('id');
    t.integer('vehicle_id').notNullable().references('id').inTable('vehicles').onDelete('CASCADE');
    t.string('type', 32).notNullable();
    t.bigInteger('t').notNullable();
    t.bigInteger('recorded_at').notNullable();
    t.boolean('late').notNullable();
    // JSON object whose shape depends on `type` (see protocol FleetEventSchema).
    t.text('data').notNullable();
    t.index(['vehicle_id', 't']);
    t.index(['t']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('events');
}
