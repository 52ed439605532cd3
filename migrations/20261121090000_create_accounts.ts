import type { Knex } from 'knex';

// Times are epoch milliseconds in BIGINT columns on both databases, so that
// SQLite and PostgreSQL hold the same values and the code never converts.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 100).notNullable();
    t.string('password_hash', 255).notNullable();
    t.string('role', 20).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('disabled_at').nullable();
  });

  await knex.schema.createTable('fleets', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.double('overspeed_limit_kmh').notNullable();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('fleet_members', (t) => {
    t.integer('fleet_id').notNullable().references('id').inTable('fleets').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.primary(['fleet_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('vehicles', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('plate', 20).nullable().unique();
    t.string('vin', 17).nullable();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('fleet_vehicles', (t) => {
    t.integer('fleet_id').notNullable().references('id').inTable('fleets').onDelete('CASCADE');
    t.integer('vehicle_id').notNullable().references('id').inTable('vehicles').onDelete('CASCADE');
    t.primary(['fleet_id', 'vehicle_id']);
    t.index(['vehicle_id']);
  });

  await knex.schema.createTable('devices', (t) => {
    t.increments('id');
    t.integer('vehicle_id').notNullable().references('id').inTable('vehicles').onDelete('CASCADE');
    // SHA-256 of the secret part of the token, hex. The token is random
    // (256 bits), so a fast hash is enough; passwords get a KDF instead.
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['vehicle_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'sessions',
    'devices',
    'fleet_vehicles',
    'vehicles',
    'fleet_members',
    'fleets',
    'users',
  ]) {
    await knex.schema.dropTable(table);
  }
}
