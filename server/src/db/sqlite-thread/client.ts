import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import type { QueryResult, SqliteRequest, SqliteResponse, Step, StepsResult } from './messages.js';

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void };
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The main thread's handle on the SQLite thread: one worker, one connection.
 * Requests are answered in order, since the worker handles one at a time.
 */
export class SqliteThreadConnection {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL('./worker.mjs', import.meta.url));
    this.worker.on('message', (response: SqliteResponse) => {
      const waiting = this.pending.get(response.id);
      if (!waiting) return;
      this.pending.delete(response.id);
      if (response.ok) waiting.resolve(response.result);
      else
        waiting.reject(
          Object.assign(new Error(response.error.message), { code: response.error.code }),
        );
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite thread exited (${code})`)));
  }

  open(filename: string, pragmas: string[]): Promise<unknown> {
    return this.request({ op: 'open', filename, pragmas });
  }

  query(sql: string, bindings: unknown[]): Promise<QueryResult> {
    return this.request({ op: 'query', sql, bindings }) as Promise<QueryResult>;
  }

  /** Runs a guarded transaction in one message (see Step). */
  transaction(steps: Step[]): Promise<StepsResult> {
    return this.request({ op: 'transaction', steps }) as Promise<StepsResult>;
  }

  async close(): Promise<void> {
    try {
      await this.request({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private request(message: WithoutId<SqliteRequest>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
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
