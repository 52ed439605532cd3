import { Worker } from 'node:worker_threads';
import type { StepsResult, Step } from '../steps.js';
import { WorkerRpc } from '../worker-rpc.js';
import type { PgThreadOptions, PgThreadRequest } from './messages.js';

/** How long closing waits for a tick in flight before the thread is stopped. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The main thread's handle on the PostgreSQL ingest thread (see worker.mjs).
 * A thread that died is replaced on the next tick: the tick it was running
 * failed (its devices resend), the ones after it must not.
 */
export class PgIngestThread {
  private rpc: WorkerRpc<PgThreadRequest>;
  /** Threads that died and were replaced since start. */
  threadsReplaced = 0;

  constructor(
    private readonly options: PgThreadOptions,
    /** Told when a thread that died is replaced. */
    private readonly onReplaced: (message: string) => void = () => {},
  ) {
    this.rpc = this.spawn();
  }

  runSteps(steps: Step[]): Promise<StepsResult> {
    if (this.rpc.failed) {
      this.threadsReplaced++;
      this.onReplaced('the PostgreSQL ingest thread died; a new one takes over');
      this.rpc = this.spawn();
    }
    return this.rpc.request({ op: 'steps', steps }) as Promise<StepsResult>;
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
      new Worker(new URL('./worker.mjs', import.meta.url), { workerData: this.options }),
      'PostgreSQL ingest thread',
    );
  }
}
