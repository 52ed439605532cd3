import { Worker } from 'node:worker_threads';
import type { StepsResult, Step } from '../sqlite-thread/messages.js';
import { WorkerRpc } from '../worker-rpc.js';
import type { PgThreadOptions, PgThreadRequest } from './messages.js';

/** The main thread's handle on the PostgreSQL ingest thread (see worker.mjs). */
export class PgIngestThread {
  private readonly rpc: WorkerRpc<PgThreadRequest>;

  constructor(options: PgThreadOptions) {
    this.rpc = new WorkerRpc(
      new Worker(new URL('./worker.mjs', import.meta.url), { workerData: options }),
      'PostgreSQL ingest thread',
    );
  }

  runSteps(steps: Step[]): Promise<StepsResult> {
    return this.rpc.request({ op: 'steps', steps }) as Promise<StepsResult>;
  }

  async close(): Promise<void> {
    try {
      await this.rpc.request({ op: 'close' });
    } finally {
      await this.rpc.terminate();
    }
  }
}
