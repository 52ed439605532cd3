import type { Knex } from 'knex';
import type { StatementRequest } from './steps.js';

/**
 * The only place where SQL differs between SQLite and PostgreSQL: bulk
 * statements, and reading back what each driver returns.
 *
 * Bulk writes are the hot path (every ingest tick), and both dialects write
 * many rows per statement, never one statement per sample:
 * - SQLite gets multi-row VALUES statements; the text for a given row count
 *   never changes, so the SQLite thread prepares each one once;
 * - PostgreSQL gets all rows of a statement as ONE JSON parameter, read back
 *   as a derived table: constant SQL text and one round trip per table.
 * Placeholders are `?` in both; knex renumbers them for PostgreSQL.
 */

export type DialectName = 'sqlite' | 'postgres';

export type ColumnType = 'integer' | 'bigint' | 'double' | 'text' | 'boolean';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

export interface TableSpec {
  name: string;
  columns: readonly ColumnSpec[];
}

/** A connection or a transaction. */
export type Queryable = Knex | Knex.Transaction;

export type Row = readonly unknown[];

export interface BulkSql {
  /** Inserts rows (arrays in column order), skipping rows whose key exists; returns `returning` of the new rows. */
  insertIgnoringDuplicates(
    table: TableSpec,
    rows: readonly Row[],
    returning: readonly string[],
  ): StatementRequest[];
  /** Inserts rows and returns `returning` of each. */
  insertReturning(
    table: TableSpec,
    rows: readonly Row[],
    returning: readonly string[],
  ): StatementRequest[];
  /** Inserts rows, or updates every other column of the row with the same `key`. */
  upsert(table: TableSpec, key: string, rows: readonly Row[]): StatementRequest[];
}

export interface Dialect {
  name: DialectName;
  bulk: BulkSql;
  /** Booleans come back as 0/1 from SQLite. */
  readBoolean(value: unknown): boolean | null;
}

/**
 * Whether a database error is a unique key refusing a row: a check-then-insert
 * that lost a race with another request, to be told apart from a real fault.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function createDialect(name: DialectName): Dialect {
  return { name, bulk: name === 'sqlite' ? sqliteBulk : postgresBulk, readBoolean };
}

function readBoolean(value: unknown): boolean | null {
  if (value === null || value === undefined) return null;
  return value === true || value === 1 || value === '1' || value === 't';
}

function quote(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe identifier ${identifier}`);
  return `"${identifier}"`;
}

/** Rows returned by `knex.raw`: an array from SQLite, `{ rows }` from pg. */
export function rawRows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows))
    return result.rows as T[];
  return [];
}

const updateAllBut = (table: TableSpec, key: string) =>
  table.columns
    .filter((c) => c.name !== key)
    .map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`)
    .join(', ');

// --- SQLite ---------------------------------------------------------------

/** Rows per statement: 100 rows of 20 columns stays far below SQLite's bound-parameter limit. */
const SQLITE_ROWS_PER_STATEMENT = 100;
const valuesSql = new Map<string, string>();

function valuesStatement(table: TableSpec, rowCount: number, tail: string): string {
  const key = `${table.name}|${rowCount}|${tail}`;
  let sql = valuesSql.get(key);
  if (!sql) {
    const row = `(${table.columns.map(() => '?').join(', ')})`;
    const columns = table.columns.map((c) => quote(c.name)).join(', ');
    sql = `INSERT INTO ${quote(table.name)} (${columns}) VALUES ${Array.from({ length: rowCount }, () => row).join(', ')} ${tail}`;
    valuesSql.set(key, sql);
  }
  return sql;
}

function sqliteStatements(
  table: TableSpec,
  rows: readonly Row[],
  tail: string,
  returns: boolean,
): StatementRequest[] {
  const width = table.columns.length;
  const statements: StatementRequest[] = [];
  for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + SQLITE_ROWS_PER_STATEMENT);
    const params = new Array<unknown>(chunk.length * width);
    let p = 0;
    for (const row of chunk) {
      for (let c = 0; c < width; c++) {
        const value = row[c];
        // better-sqlite3 binds numbers, strings, bigints, buffers and null only.
        params[p++] =
          value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value;
      }
    }
    statements.push({ sql: valuesStatement(table, chunk.length, tail), params, returns });
  }
  return statements;
}

const sqliteBulk: BulkSql = {
  insertIgnoringDuplicates: (table, rows, returning) =>
    sqliteStatements(
      table,
      rows,
      `ON CONFLICT DO NOTHING RETURNING ${returning.map(quote).join(', ')}`,
      true,
    ),
  insertReturning: (table, rows, returning) =>
    sqliteStatements(table, rows, `RETURNING ${returning.map(quote).join(', ')}`, true),
  upsert: (table, key, rows) =>
    sqliteStatements(
      table,
      rows,
      `ON CONFLICT (${quote(key)}) DO UPDATE SET ${updateAllBut(table, key)}`,
      false,
    ),
};

// --- PostgreSQL -------------------------------------------------------------

const PG_TYPES: Record<ColumnType, string> = {
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  text: 'text',
  boolean: 'boolean',
};

/** Rows per statement: bounds the size of one JSON parameter. */
const PG_ROWS_PER_STATEMENT = 5000;

function postgresStatements(
  table: TableSpec,
  rows: readonly Row[],
  tail: string,
  returns: boolean,
): StatementRequest[] {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  const source = table.columns.map((c, i) => `(e->>${i})::${PG_TYPES[c.type]}`).join(', ');
  const sql = `INSERT INTO ${quote(table.name)} (${columns}) SELECT ${source} FROM json_array_elements(?::json) AS e ${tail}`;
  const statements: StatementRequest[] = [];
  for (let i = 0; i < rows.length; i += PG_ROWS_PER_STATEMENT) {
    statements.push({
      sql,
      params: [JSON.stringify(rows.slice(i, i + PG_ROWS_PER_STATEMENT))],
      returns,
    });
  }
  return statements;
}

const postgresBulk: BulkSql = {
  insertIgnoringDuplicates: (table, rows, returning) =>
    postgresStatements(
      table,
      rows,
      `ON CONFLICT DO NOTHING RETURNING ${returning.map(quote).join(', ')}`,
      true,
    ),
  insertReturning: (table, rows, returning) =>
    postgresStatements(table, rows, `RETURNING ${returning.map(quote).join(', ')}`, true),
  upsert: (table, key, rows) =>
    postgresStatements(
      table,
      rows,
      `ON CONFLICT (${quote(key)}) DO UPDATE SET ${updateAllBut(table, key)}`,
      false,
    ),
};

/** SQLite result codes that blame the data of a statement, not the database. */
const SQLITE_DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/**
 * Whether a failed statement was refused for what it carried (a value the
 * column cannot hold, a violated constraint) rather than because the
 * database is unavailable. Only the first kind goes away by leaving rows out;
 * the second must be retried as a whole. PostgreSQL: SQLSTATE classes 22
 * (data exception) and 23 (integrity constraint violation).
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^2[23][0-9A-Z]{3}$/.test(code) || SQLITE_DATA_ERRORS.test(code);
}

/** Socket-level failures: the database could not be reached or went away. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** pg's own messages (knex prefixes the SQL and ' - '): an answer it gave up on, a connection lost. */
const PG_GAVE_UP = /(?:^| - )Query read timeout/;
const PG_CONNECTION_LOST = /(?:^| - )Connection terminated/;

/** Whether pg gave up waiting for the answer to a query (its query_timeout). */
export function isClientGaveUp(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && PG_GAVE_UP.test(message);
}

/**
 * Whether a failed statement failed because the database is unavailable
 * (unreachable, restarting, out of connections, too slow to answer, or
 * locked past the busy timeout) rather than because of the request: the
 * same request may succeed shortly. PostgreSQL: SQLSTATE class 08
 * (connection exception), 53 (insufficient resources), 57014 (a statement
 * cancelled by statement_timeout) and 57P01–57P03 (shutting down, cannot
 * connect now). SQLite: SQLITE_BUSY. knex: no pooled connection in time.
 */
export function isUnavailableError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (isClientGaveUp(err)) return true;
  if (typeof message === 'string' && PG_CONNECTION_LOST.test(message)) return true;
  if (typeof code !== 'string') return false;
  return (
    NETWORK_ERRORS.has(code) ||
    /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57014|57P0[123])$/.test(code) ||
    code.startsWith('SQLITE_BUSY')
  );
}
