import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { createDialect, rawRows } from './dialect.js';
import type { Dialect } from './dialect.js';
import { SqliteThreadClient, isSqliteThreadConnection } from './sqlite-thread/client.js';
import type { Step, StepsResult } from './sqlite-thread/messages.js';

export type { Step, StepsResult };

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** PostgreSQL schema the tables live in, when not the default search path. */
  schema: string | undefined;
  /**
   * Runs steps of statements in one transaction; a step whose statements
   * return fewer rows than it expects rolls the whole transaction back. On
   * SQLite this is a single message to the SQLite thread.
   */
  runSteps(steps: Step[]): Promise<StepsResult>;
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
    runSteps: (steps) =>
      config.kind === 'sqlite' ? sqliteSteps(knex, steps) : postgresSteps(knex, steps),
    async ping() {
      await knex.raw('select 1');
    },
    async close() {
      await knex.destroy();
    },
  };
}

/**
 * SQLite runs in its own thread (see sqlite-thread/): better-sqlite3 is
 * synchronous, and on the event loop every insert, and the disk sync of every
 * commit, would stall the sockets of every connected device and console.
 */
function sqliteKnex(config: Extract<DatabaseConfig, { kind: 'sqlite' }>): Knex {
  if (config.filename !== ':memory:')
    fs.mkdirSync(path.dirname(config.filename), { recursive: true });
  return knexFactory({
    client: SqliteThreadClient as unknown as typeof Knex.Client,
    connection: {
      filename: config.filename,
      pragmas: [
        'journal_mode = WAL',
        // FULL: a commit is on disk before anyone is told it is stored. The
        // sync happens on the SQLite thread, not on the event loop.
        `synchronous = ${config.synchronous}`,
        'foreign_keys = ON',
        'busy_timeout = 5000',
        // 64 MiB of page cache: sample inserts land all over the per-vehicle
        // indexes, and the default 2 MiB turns them into page reads.
        'cache_size = -65536',
      ],
    } as Knex.Sqlite3ConnectionConfig,
    useNullAsDefault: true,
    // One connection: SQLite has one writer, and a second connection would only add lock waits.
    pool: { min: 1, max: 1 },
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

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

async function sqliteSteps(knex: Knex, steps: Step[]): Promise<StepsResult> {
  const client = knex.client as unknown as PoolClient;
  const connection = await client.acquireConnection();
  try {
    if (!isSqliteThreadConnection(connection)) throw new Error('expected the SQLite thread client');
    return await connection.transaction(steps);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Thrown inside the knex transaction to roll it back, carrying what the short step returned. */
class StepShortfall extends Error {
  constructor(
    readonly failedStep: number,
    readonly rows: unknown[],
  ) {
    super(`step ${failedStep} returned ${rows.length} rows`);
  }
}

async function postgresSteps(knex: Knex, steps: Step[]): Promise<StepsResult> {
  try {
    const rows = await knex.transaction(async (trx) => {
      const all: unknown[][] = [];
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        const stepRows: unknown[] = [];
        for (const statement of step.statements) {
          const result: unknown = await trx.raw(
            statement.sql,
            statement.params as Knex.RawBinding[],
          );
          if (statement.returns) stepRows.push(...rawRows(result));
        }
        if (step.expectRows !== undefined && stepRows.length !== step.expectRows)
          throw new StepShortfall(i, stepRows);
        // A guard that held needs no rows back: the caller knows them all.
        all.push(step.expectRows === undefined ? stepRows : []);
      }
      return all;
    });
    return { committed: true, rows };
  } catch (err) {
    if (err instanceof StepShortfall)
      return { committed: false, failedStep: err.failedStep, rows: err.rows };
    throw err;
  }
}
