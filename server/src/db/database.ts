import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { createDialect, isClientGaveUp } from './dialect.js';
import type { Dialect } from './dialect.js';
import { PgIngestThread } from './pg-thread/client.js';
import { pgTypes } from './pg-types.mjs';
import { SqliteThreadClient, isSqliteThreadConnection } from './sqlite-thread/client.js';
import type { Step, StepsResult } from './steps.js';

export type { Step, StepsResult };

/** Timeouts of the API's pool of PostgreSQL connections (not the ingest thread's). */
export interface ApiTimeouts {
  /**
   * PostgreSQL's statement_timeout: a statement running longer is cancelled
   * by the database, and its connection stays usable.
   */
  statementMs: number;
  /**
   * How long the client waits for any answer (pg's query_timeout). Longer
   * than the statement timeout, so it fires only when the database cannot
   * answer at all: a connection left half-open by a failover. That
   * connection is then discarded, not handed to the next request.
   */
  queryMs: number;
}

export const DEFAULT_API_TIMEOUTS: ApiTimeouts = { statementMs: 30_000, queryMs: 35_000 };

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** PostgreSQL schema the tables live in, when not the default search path. */
  schema: string | undefined;
  /**
   * Runs steps of statements in one transaction; a step whose statements
   * return fewer rows than it expects rolls the whole transaction back. On
   * SQLite this is a single message to the SQLite thread; on PostgreSQL it
   * runs on the ingest thread's own connection.
   */
  runSteps(steps: Step[]): Promise<StepsResult>;
  /**
   * Runs `work` on a knex without the API's timeouts, for migrations (DDL on
   * a large table may take long): on PostgreSQL a connection of its own,
   * closed afterwards; on SQLite the one connection.
   */
  withoutTimeouts<T>(work: (knex: Knex) => Promise<T>): Promise<T>;
  /** Round-trips to the database; used by /healthz. */
  ping(): Promise<void>;
  /**
   * Database threads (SQLite's, or PostgreSQL's ingest thread) that died and
   * were replaced since start. Recovery is silent to clients, so /healthz and
   * the runtime stats say how often it happened.
   */
  threadsReplaced(): number;
  close(): Promise<void>;
}

/** `logger` receives knex's own warnings, and notes of a database thread replaced after it died. */
export function createDatabase(config: DatabaseConfig, logger?: Logger): Database {
  const log = logger ? knexLog(logger.child({ component: 'database' })) : undefined;
  const knex =
    config.kind === 'sqlite'
      ? sqliteKnex(config, log)
      : postgresKnex(config, log, { ...DEFAULT_API_TIMEOUTS, ...config.apiTimeouts });
  // Started on the first tick: commands that never ingest (migrations, the
  // admin CLI) open no second connection and no thread.
  let ingest: PgIngestThread | undefined;
  return {
    knex,
    dialect: createDialect(config.kind),
    schema: config.kind === 'postgres' ? config.schema : undefined,
    runSteps: (steps) => {
      if (config.kind === 'sqlite') return sqliteSteps(knex, steps);
      ingest ??= new PgIngestThread(
        { url: config.url, schema: config.schema },
        (message) => log?.warn(message),
        config.ingestTimeouts,
      );
      return ingest.runSteps(steps);
    },
    async withoutTimeouts(work) {
      if (config.kind === 'sqlite') return work(knex);
      const unbounded = postgresKnex(config, log, null, { min: 0, max: 1 });
      try {
        return await work(unbounded);
      } finally {
        await unbounded.destroy();
      }
    },
    async ping() {
      await knex.raw('select 1');
    },
    threadsReplaced: () =>
      config.kind === 'sqlite'
        ? (knex.client as unknown as SqliteThreadClient).threadsReplaced
        : (ingest?.threadsReplaced ?? 0),
    async close() {
      try {
        await ingest?.close();
      } finally {
        await knex.destroy();
      }
    },
  };
}

/**
 * SQLite runs in its own thread (see sqlite-thread/): better-sqlite3 is
 * synchronous, and on the event loop every insert, and the disk sync of every
 * commit, would stall the sockets of every connected device and console.
 */
function sqliteKnex(
  config: Extract<DatabaseConfig, { kind: 'sqlite' }>,
  log: Knex.Config['log'],
): Knex {
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
    ...(log ? { log } : {}),
    // One connection: SQLite has one writer, and a second connection would only add lock waits.
    pool: { min: 1, max: 1 },
  });
}

function postgresKnex(
  config: Extract<DatabaseConfig, { kind: 'postgres' }>,
  log: Knex.Config['log'],
  timeouts: ApiTimeouts | null,
  size: { min: number; max: number } = { min: 1, max: 10 },
): Knex {
  // The client's wait must outlast the database's own limit (see ApiTimeouts).
  if (timeouts && timeouts.statementMs >= timeouts.queryMs)
    throw new Error('the API statement timeout must be shorter than its query timeout');
  // Connections a query gave up on (query_timeout), by knex's id for them.
  const abandoned = new Set<string>();
  const knex = knexFactory({
    client: 'pg',
    connection: {
      connectionString: config.url,
      types: pgTypes,
      application_name: 'fleetline-server',
      // TCP keepalive from 10 s of silence, so a connection left half-open
      // by a failover is found by the OS's probes (how soon then depends on
      // net.ipv4.tcp_keepalive_intvl and _probes; see OPERATIONS.md).
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(timeouts
        ? { statement_timeout: timeouts.statementMs, query_timeout: timeouts.queryMs }
        : {}),
    },
    ...(config.schema ? { searchPath: [config.schema] } : {}),
    ...(log ? { log } : {}),
    pool: {
      ...size,
      // A query the client gave up on (query_timeout) leaves its connection
      // waiting for an answer that will not come, and pg queues every later
      // query behind it: such a connection is destroyed, not reused. (Not
      // pg's readyForQuery: after an error it is false until the database's
      // next message, which may still be on its way, and the connection is
      // fine.)
      validate: (connection: { __knexUid?: string }) =>
        !(connection.__knexUid !== undefined && abandoned.delete(connection.__knexUid)),
    },
  });
  // Emitted before the connection goes back to the pool.
  knex.on('query-error', (err: unknown, query: { __knexUid?: string }) => {
    if (query.__knexUid !== undefined && isClientGaveUp(err)) abandoned.add(query.__knexUid);
  });
  return knex;
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

/** knex's log hooks, onto the server's logger (knex writes to the console otherwise). */
function knexLog(
  logger: Logger,
): NonNullable<Knex.Config['log']> & { warn(message: string): void } {
  return {
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
    deprecate: (method: string, alternative: string) =>
      logger.warn(`${method} is deprecated; use ${alternative}`),
    debug: (message: string) => logger.debug(message),
  };
}
