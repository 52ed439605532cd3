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
 * A thread that died fails every request from then on; knex's pool then
 * replaces the connection (see SqliteThreadClient.validateConnection).
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

  /** True once the thread died (crashed, ran out of memory, was stopped). */
  get failed(): boolean {
    return this.rpc.failed;
  }

  async close(): Promise<void> {
    // A dead thread has nothing left to close: better-sqlite3 closes its
    // databases when their thread ends, and SQLite drops what was not committed.
    if (this.rpc.failed) return this.rpc.terminate();
    try {
      await this.rpc.request({ op: 'close' });
    } finally {
      await this.rpc.terminate();
    }
  }

  /** Stops the thread at once, without closing the database first, as a crash would. */
  terminate(): Promise<void> {
    return this.rpc.terminate();
  }
}

export function isSqliteThreadConnection(value: unknown): value is SqliteThreadConnection {
  return value instanceof SqliteThreadConnection;
}

interface BetterSqliteClientClass {
  new (config: Knex.Config): {
    connectionSettings: { filename: string; pragmas?: string[] };
    _formatBindings(bindings: unknown[] | undefined): unknown[];
    logger: { warn(message: string): void };
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
  /** Threads that died and were replaced since start. */
  threadsReplaced = 0;

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

  /**
   * Asked by knex's pool before it hands out an idle connection: one whose
   * thread died is destroyed and a new one opened in its place. The query
   * that was running when the thread died has failed with the thread's exit;
   * knex released its connection, so the query after it gets a fresh thread.
   */
  validateConnection(connection: SqliteThreadConnection): boolean {
    if (!connection.failed) return true;
    this.threadsReplaced++;
    this.logger.warn('the SQLite thread died; a new one takes over');
    return false;
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
