import type { Knex } from 'knex';

// Device health reported by companions in status samples: the OBD-II link,
// the GPS receiver and the outbox backlog. Kept with each status sample for
// history and, as the last known value, in the vehicle's state.
const TABLES = ['device_statuses', 'vehicle_states'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.string('obd_link', 16).nullable();
      t.string('gps_receiver', 16).nullable();
      t.bigInteger('backlog').nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('backlog');
      t.dropColumn('gps_receiver');
      t.dropColumn('obd_link');
    });
  }
}
