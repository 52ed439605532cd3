import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A load worker in its own process, with request/reply over IPC. */
export class Worker<Command extends { type: string }, Reply extends { type: string }> {
  private readonly child: ChildProcess;
  private waiting:
    { expect: string; resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  constructor(name: 'devices' | 'consoles') {
    this.child = fork(path.resolve(here, '../load', `${name}.js`), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: Reply) => {
      const waiting = this.waiting;
      if (!waiting) return;
      this.waiting = undefined;
      if (reply.type === 'error')
        waiting.reject(
          new Error(`${name} worker: ${(reply as unknown as { message: string }).message}`),
        );
      else waiting.resolve(reply);
    });
    this.child.on('exit', (code) =>
      this.waiting?.reject(new Error(`${name} worker exited (${code})`)),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  tell(command: Command): void {
    this.child.send(command);
  }

  ask<T extends Reply['type']>(command: Command, expect: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting = { expect, resolve: resolve as (r: Reply) => void, reject };
      this.child.send(command);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'close' });
    });
  }
}
