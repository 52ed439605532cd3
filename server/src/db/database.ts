import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { createDialect } from './dialect.js';
import type { Dialect } from './dialect.js';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** PostgreSQL schema the tables live in, when not the default search path. */
  schema: string | undefined;
  /** Round-trips to the database; used by /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * BIGINT columns hold epoch milliseconds and sequence numbers, all below
 * 2^53; node-pg returns them as strings unless told otherwise. The parser is
 * set per connection, not globally, so nothing else in the process changes.
 */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`BIGINT ${value} exceeds the safe integer range`);
  return n;
}

const pgTypes = {
  getTypeParser: (oid: number, format: string): unknown =>
    oid === INT8_OID
      ? parseInt8
      : pg.types.getTypeParser(oid, format === 'binary' ? 'binary' : 'text'),
};

export function createDatabase(config: DatabaseConfig): Database {
  const knex = config.kind === 'sqlite' ? sqliteKnex(config) : postgresKnex(config);
  return {
    knex,
    dialect: createDialect(config.kind),
    schema: config.kind === 'postgres' ? config.schema : undefined,
    async ping() {
      await knex.raw('select 1');
    },
    async close() {
      await knex.destroy();
    },
  };
}

function sqliteKnex(config: Extract<DatabaseConfig, { kind: 'sqlite' }>): Knex {
  if (config.filename !== ':memory:')
    fs.mkdirSync(path.dirname(config.filename), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: config.filename },
    useNullAsDefault: true,
    // One connection: SQLite has one writer, and better-sqlite3 is synchronous,
    // so a second connection would only add lock waits.
    pool: {
      min: 1,
      max: 1,
      afterCreate(
        conn: { pragma(source: string): unknown },
        done: (err: Error | null, conn: unknown) => void,
      ) {
        try {
          conn.pragma('journal_mode = WAL');
          // FULL: a commit is on disk before the device is told it may forget the sample.
          conn.pragma(`synchronous = ${config.synchronous}`);
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

function postgresKnex(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: config.url,
      types: pgTypes,
      application_name: 'fleetline-server',
    },
    ...(config.schema ? { searchPath: [config.schema] } : {}),
    pool: { min: 1, max: 10 },
  });
}
