import type { Worker } from 'node:worker_threads';
import type { THREAD_ERROR_FIELDS } from './thread-error.mjs';

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void };

/** Why a thread died: the 'error' it emitted, or else its exit code. */
type ThreadDeath = { message: string; cause: unknown };

/**
 * A failed request as a database thread sends it (see thread-error.mjs): the
 * message, the driver's `code`, and those of PostgreSQL's fields that say
 * what was refused. Plain data: it is structured-cloned.
 */
export type ThreadError = { message: string; code: string | undefined } & Partial<
  Record<(typeof THREAD_ERROR_FIELDS)[number], string>
>;

/** What a database thread answers to each request, by its id. */
export type WorkerResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ThreadError };

/**
 * Requests to a database thread and their answers, matched by id. A failed
 * request rejects with an Error carrying the thread's message, the driver's
 * error `code` (so a caller can tell a refused row from an unavailable
 * database) and the other fields the thread sent (`detail`, `constraint`...),
 * where the logger's error serializer finds them. A thread that dies fails
 * everything waiting and everything after: its owner replaces it.
 */
export class WorkerRpc<Request extends { op: string }> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: ThreadDeath | undefined;

  constructor(
    private readonly worker: Worker,
    name: string,
  ) {
    worker.on('message', (response: WorkerResponse) => {
      const waiting = this.pending.get(response.id);
      if (!waiting) return;
      this.pending.delete(response.id);
      if (response.ok) waiting.resolve(response.result);
      else waiting.reject(Object.assign(new Error(response.error.message), response.error));
    });
    const fail = (message: string, cause?: unknown) => {
      // An 'error' (an uncaught exception, running out of memory) is followed
      // by 'exit': the first says why.
      const failure = (this.failure ??= { message, cause });
      for (const waiting of this.pending.values()) waiting.reject(deathError(failure));
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`the ${name} failed: ${err.message}`, err));
    worker.on('exit', (code) => fail(`the ${name} exited (code ${code})`));
  }

  /** Set once the thread died: every request fails from then on. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  request(message: Request): Promise<unknown> {
    if (this.failure) return Promise.reject(deathError(this.failure));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * A new Error for each request: knex prefixes a failed query's SQL to the
 * message of the error it is given, and one shared Error would collect the
 * SQL of every query that failed after the thread died.
 */
function deathError(failure: ThreadDeath): Error {
  return failure.cause === undefined
    ? new Error(failure.message)
    : new Error(failure.message, { cause: failure.cause });
}
