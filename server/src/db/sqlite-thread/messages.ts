/** Messages between the main thread and the SQLite thread. Plain data only: they are structured-cloned. */

export interface StatementRequest {
  sql: string;
  params: unknown[];
  /** True: return the rows (SELECT, or RETURNING). */
  returns: boolean;
}

/**
 * Statements run back to back. With `expectRows`, returning a different
 * number of rows aborts the transaction; the rows of such a step are sent
 * back only when it falls short (a successful guard needs only the count).
 */
export interface Step {
  statements: StatementRequest[];
  expectRows?: number;
}

/**
 * The outcome of a guarded transaction: committed with each step's rows
 * (empty for guarded steps), or rolled back at the step whose row count did
 * not match, with the rows it did return.
 */
export type StepsResult = (
  { committed: true; rows: unknown[][] } | { committed: false; failedStep: number; rows: unknown[] }
) & {
  /** Time the database thread spent on the transaction, commit included. */
  dbMs?: number;
};

export type SqliteRequest =
  | { id: number; op: 'open'; filename: string; pragmas: string[] }
  | { id: number; op: 'query'; sql: string; bindings: unknown[] }
  | { id: number; op: 'transaction'; steps: Step[] }
  | { id: number; op: 'close' };

export interface QueryResult {
  reader: boolean;
  rows: unknown[];
  changes: number;
  lastInsertRowid: number;
}

export type SqliteResponse =
  | { id: number; ok: true; result: QueryResult | StepsResult | null }
  | { id: number; ok: false; error: { message: string; code: string | undefined } };
