import type { Knex } from 'knex';

// The driver who has a vehicle now: consoles show it and search by it.
// Deleting the user leaves the vehicle without a driver.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('vehicles', (t) => {
    t.integer('driver_user_id').nullable().references('id').inTable('users').onDelete('SET NULL');
    t.index(['driver_user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('vehicles', (t) => {
    t.dropIndex(['driver_user_id']);
    t.dropForeign(['driver_user_id']);
    t.dropColumn('driver_user_id');
  });
}
