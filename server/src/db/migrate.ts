import { migrationSource } from '@fleetline/migrations';
import type { Knex } from 'knex';
import type { Database } from './database.js';

export interface MigrationReport {
  batch: number;
  applied: string[];
}

export async function migrateLatest(db: Database): Promise<MigrationReport> {
  const [batch, applied] = await db.withoutTimeouts(async (knex) => {
    await ensureSchema(db, knex);
    return (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  });
  return { batch, applied };
}

/** Undoes the last batch, or every migration with `all`. */
export async function migrateRollback(db: Database, all = false): Promise<MigrationReport> {
  const [batch, applied] = await db.withoutTimeouts(async (knex) => {
    await ensureSchema(db, knex);
    return (await knex.migrate.rollback({ migrationSource }, all)) as [number, string[]];
  });
  return { batch, applied };
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  await ensureSchema(db, db.knex);
  const [, pending] = (await db.knex.migrate.list({ migrationSource })) as [
    unknown[],
    { name: string }[],
  ];
  return pending.map((m) => m.name);
}

/** knex keeps its bookkeeping table in the schema too, so the schema must exist first. */
async function ensureSchema(db: Database, knex: Knex): Promise<void> {
  if (db.schema) await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [db.schema]);
}
