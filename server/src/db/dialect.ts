/**
 * The only place where SQL differs between SQLite and PostgreSQL.
 *
 * Bulk writes pass all rows of a statement as ONE JSON parameter (an array of
 * arrays) and read them back as a derived table. The SQL text is the same for
 * every batch size, nothing is limited by the bound-parameter count, and a
 * thousand rows cost one statement.
 */

export type DialectName = 'sqlite' | 'postgres';

export type ColumnType = 'integer' | 'bigint' | 'double' | 'text' | 'boolean';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

const PG_TYPES: Record<ColumnType, string> = {
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  text: 'text',
  boolean: 'boolean',
};

export interface Dialect {
  name: DialectName;
  /**
   * A parenthesised SELECT yielding `columns` from a single `?` parameter that
   * holds `JSON.stringify(rows)`, each row an array in column order.
   */
  jsonRows(columns: readonly ColumnSpec[]): string;
  /** SQL for the larger of two expressions. */
  greatest(a: string, b: string): string;
  /** Booleans come back as 0/1 from SQLite. */
  readBoolean(value: unknown): boolean | null;
}

export function createDialect(name: DialectName): Dialect {
  if (name === 'sqlite') {
    return {
      name,
      jsonRows: (columns) =>
        `(SELECT ${columns.map((c, i) => `value->>${i} AS ${quote(c.name)}`).join(', ')} FROM json_each(?))`,
      greatest: (a, b) => `MAX(${a}, ${b})`,
      readBoolean,
    };
  }
  return {
    name,
    jsonRows: (columns) =>
      `(SELECT ${columns
        .map((c, i) => `(e->>${i})::${PG_TYPES[c.type]} AS ${quote(c.name)}`)
        .join(', ')} FROM json_array_elements(?::json) AS e)`,
    greatest: (a, b) => `GREATEST(${a}, ${b})`,
    readBoolean,
  };
}

function readBoolean(value: unknown): boolean | null {
  if (value === null || value === undefined) return null;
  return value === true || value === 1 || value === '1' || value === 't';
}

function quote(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe identifier ${identifier}`);
  return `"${identifier}"`;
}

/** Rows returned by `knex.raw`: an array from better-sqlite3, `{ rows }` from pg. */
export function rawRows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows))
    return result.rows as T[];
  return [];
}
