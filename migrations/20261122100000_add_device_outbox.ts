import type { Knex } from 'knex';

// The outbox each device's token last connected with (the `outboxId` of the
// handshake; null when it named none). The hello tells the device, so that
// a companion whose outbox the server is ahead of can tell its own restored
// backup from a token moved off another outbox.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.string('last_outbox_id', 36).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.dropColumn('last_outbox_id');
  });
}
