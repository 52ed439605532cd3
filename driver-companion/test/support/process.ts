import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMPANION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(COMPANION_DIR, 'src', 'cli', 'main.ts');

const children = new Set<ChildProcessWithoutNullStreams>();

/** Kills every companion a test started that still runs (call in afterEach). */
export function killChildren(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A companion CLI running as a real process (TypeScript through tsx, no build). */
export class CompanionProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: {
    match: (line: LogLine) => boolean;
    from: number;
    resolve: (line: LogLine) => void;
  }[] = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(
      process.execPath,
      ['--conditions=fleetline-source', '--import', 'tsx', CLI, ...args],
      {
        cwd: COMPANION_DIR,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      },
    );
    children.add(this.child);
    let buffer = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stdout += text;
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) this.#line(line);
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves with the first log line (from index `from` on) that matches. */
  waitForLog(
    match: (line: LogLine) => boolean,
    timeoutMs = 20_000,
    from = 0,
    what = 'a log line',
  ): Promise<LogLine> {
    const found = this.logs.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no ${what} within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-2000)}\nlast logs:\n${this.logs
              .slice(-15)
              .map((l) => JSON.stringify(l))
              .join('\n')}`,
          ),
        );
      }, timeoutMs);
      const done = (line: LogLine): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#waiters.push({ match, from, resolve: done });
    });
  }

  count(match: (line: LogLine) => boolean): number {
    return this.logs.filter(match).length;
  }

  #line(text: string): void {
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    const index = this.logs.length;
    this.logs.push(line);
    for (const waiter of [...this.#waiters]) {
      if (index >= waiter.from && waiter.match(line)) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
      }
    }
  }
}

/** Runs a CLI command to completion. */
export async function runCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const process = new CompanionProcess(args, env);
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
