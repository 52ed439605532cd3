import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseConfig } from '../src/config.js';

export const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const children = new Set<ChildProcessWithoutNullStreams>();

/** Kills every process a test started that is still running (call in afterEach). */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
}

/** Runs a server source file in a real Node process (TypeScript through tsx). */
export function spawnSource(
  file: string,
  args: string[],
  env: Record<string, string>,
): ChildProcessWithoutNullStreams {
  const entry = path.join(SERVER_DIR, 'src', file);
  const child = spawn(
    process.execPath,
    ['--conditions=fleetline-source', '--import', 'tsx', entry, ...args],
    {
      cwd: SERVER_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PASSWORD_HASH_COST: '12',
        LOG_LEVEL: 'warn',
        ...env,
      },
    },
  );
  children.add(child);
  return child;
}

export function envFor(database: DatabaseConfig, dataDir: string): Record<string, string> {
  if (database.kind === 'sqlite') return { DATA_DIR: dataDir };
  return {
    DATABASE_URL: database.url,
    ...(database.schema ? { DATABASE_SCHEMA: database.schema } : {}),
    DATA_DIR: dataDir,
  };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function finished(child: ChildProcessWithoutNullStreams): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function runCli(args: string[], env: Record<string, string>): Promise<Finished> {
  return finished(spawnSource('cli.ts', args, env));
}

/** Resolves with the first stdout match of `pattern`. */
export function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${String(pattern)} in output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      seen += d.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (seen += d.toString()));
  });
}
