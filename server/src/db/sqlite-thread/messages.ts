/** Messages between the main thread and the SQLite thread. Plain data only: they are structured-cloned. */

import type { Step } from '../steps.js';
import type { WorkerResponse } from '../worker-rpc.js';

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

export type SqliteResponse = WorkerResponse;
