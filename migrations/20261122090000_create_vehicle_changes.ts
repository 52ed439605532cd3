import type { Knex } from 'knex';

// A change feed of vehicle records (registration, driver, device) for the
// server to poll: the admin CLI writes to the database from its own process,
// and a running server learns of its changes here. No foreign key: the
// change of a vehicle deleted since must still be read.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('vehicle_changes', (t) => {
    t.increments('id').primary();
    t.integer('vehicle_id').notNullable();
    t.bigInteger('changed_at').notNullable();
    t.index(['changed_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('vehicle_changes');
}
