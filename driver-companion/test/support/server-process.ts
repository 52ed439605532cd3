import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { COMPANION_DIR } from './process.js';

/** The server's own entry point, as `npm start` and production run it (through tsx: no build needed). */
const SERVER_MAIN = path.resolve(COMPANION_DIR, '..', 'server', 'src', 'main.ts');

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills every server process a test started that still runs (call in afterEach). */
export function killServerProcesses(): void {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

/**
 * The real server as a process of its own, so a test can SIGKILL it: no
 * graceful stop, batches received but not committed are lost with it, acks
 * never sent. It runs on a fixed port and data directory, so a restart finds
 * the same database at the same address.
 */
export class ServerProcess {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  #child: ChildProcessWithoutNullStreams | null = null;
  #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  output = '';

  constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts it and resolves once it listens. */
  async start(env: Record<string, string> = {}): Promise<void> {
    const child = spawn(
      process.execPath,
      ['--conditions=fleetline-source', '--import', 'tsx', SERVER_MAIN],
      {
        cwd: path.dirname(SERVER_MAIN),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PORT: String(this.port),
          HOST: '127.0.0.1',
          DATA_DIR: this.dir,
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
          SQLITE_SYNCHRONOUS: 'NORMAL',
          PASSWORD_HASH_COST: '12',
          STATS_INTERVAL_S: '0',
          INGEST_FLUSH_MS: '5',
          ...env,
        },
      },
    );
    running.add(child);
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    const exited = this.#exited;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server did not start within 30 s:\n${this.output}`)),
        30_000,
      );
      const onOutput = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (this.output.includes(`is running at ${this.url}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onOutput);
      child.stderr.on('data', onOutput);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code ?? signal}) while starting:\n${this.output}`));
      });
    });
  }

  /** SIGTERM: the server's own graceful stop (pending batches committed and acknowledged). */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.#child?.kill('SIGTERM');
    return this.#wait();
  }

  /** SIGKILL: gone at once, whatever it was doing. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.#child?.kill('SIGKILL');
    return this.#wait();
  }

  async #wait(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const result = (await this.#exited) ?? { code: null, signal: null };
    if (this.#child) running.delete(this.#child);
    this.#child = null;
    this.#exited = null;
    return result;
  }
}
