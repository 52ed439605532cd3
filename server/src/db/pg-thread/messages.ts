import type { Step } from '../steps.js';

/** How the PostgreSQL ingest thread connects. Plain data: it is structured-cloned. */
export interface PgThreadOptions {
  url: string;
  schema: string | undefined;
  /**
   * PostgreSQL's statement_timeout (and idle_in_transaction_session_timeout)
   * on the ingest connection: a statement stuck behind a lock fails rather
   * than stalling every tick after it (see IngestTimeouts in client.ts).
   */
  statementTimeoutMs: number;
}

export type PgThreadRequest = { op: 'steps'; steps: Step[] } | { op: 'close' };
