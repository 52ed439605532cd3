import type { Step } from '../steps.js';

/** How the PostgreSQL ingest thread connects. Plain data: it is structured-cloned. */
export interface PgThreadOptions {
  url: string;
  schema: string | undefined;
}

export type PgThreadRequest = { op: 'steps'; steps: Step[] } | { op: 'close' };
