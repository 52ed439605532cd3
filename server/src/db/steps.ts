/**
 * What a database thread runs for the ingest writer: guarded transactions of
 * prepared statements. Plain data only: it is structured-cloned to the
 * SQLite thread and to the PostgreSQL ingest thread alike.
 */

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
