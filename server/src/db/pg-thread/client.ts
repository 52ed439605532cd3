import { Worker } from 'node:worker_threads';
import type { StepsResult, Step } from '../steps.js';
import { WorkerRpc } from '../worker-rpc.js';
import type { PgThreadOptions, PgThreadRequest } from './messages.js';

/** How long closing waits for a tick in flight before the thread is stopped. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface IngestTimeouts {
  /** PostgreSQL's statement_timeout on the ingest connection. */
  statementMs: number;
  /**
   * How long a tick's transaction may take, all round trips included, before
   * the connection is taken for dead (half-open: the peer vanished without a
   * word, so no statement timeout can answer) and replaced with its thread.
   */
  tickMs: number;
}

export const DEFAULT_INGEST_TIMEOUTS: IngestTimeouts = { statementMs: 10_000, tickMs: 30_000 };

/**
 * The main thread's handle on the PostgreSQL ingest thread (see worker.mjs).
 * A thread that died is replaced on the next tick: the tick it was running
 * failed (its devices resend), the ones after it must not.
 */
export class PgIngestThread {
  private rpc: WorkerRpc<PgThreadRequest>;
  /** Threads that died and were replaced since start. */
  threadsReplaced = 0;

  private readonly timeouts: IngestTimeouts;

  constructor(
    private readonly options: Omit<PgThreadOptions, 'statementTimeoutMs'>,
    /** Told when a thread that died or stopped answering is replaced. */
    private readonly onReplaced: (message: string) => void = () => {},
    timeouts: Partial<IngestTimeouts> = {},
  ) {
    this.timeouts = { ...DEFAULT_INGEST_TIMEOUTS, ...timeouts };
    // A statement that may run past the deadline would be taken for a dead
    // connection while the database is still working on it.
    if (this.timeouts.statementMs >= this.timeouts.tickMs)
      throw new Error('the ingest statement timeout must be shorter than the tick deadline');
    this.rpc = this.spawn();
  }

  runSteps(steps: Step[]): Promise<StepsResult> {
    if (this.rpc.failed) this.replace('the PostgreSQL ingest thread died; a new one takes over');
    const rpc = this.rpc;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Nothing more will come back on that connection. Whether its COMMIT
        // reached the database is unknown: the tick fails, and its devices
        // resend, which stores nothing twice.
        if (this.rpc === rpc)
          this.replace(
            `the PostgreSQL ingest transaction did not finish within ${this.timeouts.tickMs} ms; its connection and thread are replaced`,
          );
        reject(
          Object.assign(
            new Error(
              `the ingest transaction did not finish within ${this.timeouts.tickMs} ms (the database connection is unresponsive)`,
            ),
            { code: 'INGEST_TIMEOUT' },
          ),
        );
      }, this.timeouts.tickMs);
    });
    return Promise.race([
      rpc.request({ op: 'steps', steps }) as Promise<StepsResult>,
      deadline,
    ]).finally(() => clearTimeout(timer));
  }

  /** Stops the current thread (and its connection) and starts another. */
  private replace(message: string): void {
    const old = this.rpc;
    this.threadsReplaced++;
    this.onReplaced(message);
    this.rpc = this.spawn();
    void old.terminate();
  }

  /** Closes the connection once the tick in flight is done; stops the thread regardless after a while. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.rpc.request({ op: 'close' }),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
      ]);
    } finally {
      clearTimeout(timer);
      await this.rpc.terminate();
    }
  }

  private spawn(): WorkerRpc<PgThreadRequest> {
    return new WorkerRpc(
      new Worker(new URL('./worker.mjs', import.meta.url), {
        workerData: {
          ...this.options,
          statementTimeoutMs: this.timeouts.statementMs,
        } satisfies PgThreadOptions,
      }),
      'PostgreSQL ingest thread',
    );
  }
}
