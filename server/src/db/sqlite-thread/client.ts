import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import { WorkerRpc } from '../worker-rpc.js';
import type { Step, StepsResult } from '../steps.js';
import type { QueryResult, SqliteRequest } from './messages.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The main thread's handle on the SQLite thread: one worker, one connection.
 * Requests are answered in order, since the worker handles one at a time.
 */
export class SqliteThreadConnection {
  private readonly rpc = new WorkerRpc<WithoutId<SqliteRequest>>(
    new Worker(new URL('./worker.mjs', import.meta.url)),
    'SQLite thread',
  );

  open(filename: string, pragmas: string[]): Promise<unknown> {
    return this.rpc.request({ op: 'open', filename, pragmas });
  }

  query(sql: string, bindings: unknown[]): Promise<QueryResult> {
    return this.rpc.request({ op: 'query', sql, bindings }) as Promise<QueryResult>;
  }

  /** Runs a guarded transaction in one message (see Step). */
  transaction(steps: Step[]): Promise<StepsResult> {
    return this.rpc.request({ op: 'transaction', steps }) as Promise<StepsResult>;
  }

  async close(): Promise<void> {
    try {
      await this.rpc.request({ op: 'close' });
    } finally {
      await this.rpc.terminate();
    }
  }
}

export function isSqliteThreadConnection(value: unknown): value is SqliteThreadConnection {
  return value instanceof SqliteThreadConnection;
}

interface BetterSqliteClientClass {
  new (config: Knex.Config): {
    connectionSettings: { filename: string; pragmas?: string[] };
    _formatBindings(bindings: unknown[] | undefined): unknown[];
  };
}

// knex has no public hook for this; its better-sqlite3 client is subclassed
// and only its connection handling is replaced.
const BetterSqliteClient = createRequire(import.meta.url)(
  'knex/lib/dialects/better-sqlite3',
) as BetterSqliteClientClass;

/**
 * knex's better-sqlite3 client, with the connection in a worker thread:
 * knex builds SQL and manages transactions as usual, and each query is one
 * message to the SQLite thread. Configure with `client: SqliteThreadClient`
 * and `connection: { filename, pragmas }`.
 */
export class SqliteThreadClient extends BetterSqliteClient {
  async acquireRawConnection(): Promise<SqliteThreadConnection> {
    const connection = new SqliteThreadConnection();
    try {
      await connection.open(
        this.connectionSettings.filename,
        this.connectionSettings.pragmas ?? [],
      );
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
    return connection;
  }

  async destroyRawConnection(connection: SqliteThreadConnection): Promise<void> {
    await connection.close();
  }

  async _query(
    connection: SqliteThreadConnection,
    obj: { sql?: string; bindings?: unknown[]; response?: unknown; context?: unknown },
  ) {
    if (!obj.sql) throw new Error('The query is empty');
    const result = await connection.query(obj.sql, this._formatBindings(obj.bindings));
    if (result.reader) {
      obj.response = result.rows;
    } else {
      obj.response = { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
      obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
    }
    return obj;
  }
}
