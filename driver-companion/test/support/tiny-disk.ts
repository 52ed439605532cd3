import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPANION_DIR } from './process.js';

/**
 * A real filesystem that fills up: a tmpfs of a few megabytes, mounted in a
 * user and mount namespace of its own (`unshare -rm`, no root needed where
 * unprivileged user namespaces are allowed), with a TypeScript script run
 * in it. The mount exists only for that process tree, so the script checks
 * what it needs itself and prints its findings; the directory is empty again
 * once it exits.
 */

let available: boolean | null = null;

/** Whether this machine lets a test mount a tmpfs of its own (Linux, user namespaces allowed). */
export function tinyDiskAvailable(): boolean {
  if (available !== null) return available;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-tiny-disk-probe-'));
  try {
    const probe = spawnSync(
      'unshare',
      ['--user', '--map-root-user', '--mount', 'sh', '-c', MOUNT_AND_RUN, dir, '64k', 'true'],
      { stdio: 'ignore', timeout: 10_000 },
    );
    available = probe.status === 0;
  } catch {
    available = false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return available;
}

/** $0: the mount point, $1: the size, the rest: the command. */
const MOUNT_AND_RUN =
  'dir="$0"; size="$1"; shift; mount -t tmpfs -o "size=$size" fleetline-tiny-disk "$dir" && exec "$@"';

export interface TinyDiskRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (a .ts file, through tsx) with a tmpfs of `size` (`2m`)
 * mounted at a fresh directory, which it gets as its first argument.
 */
export async function runOnTinyDisk(
  script: string,
  size: string,
  args: string[] = [],
  timeoutMs = 60_000,
): Promise<TinyDiskRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-tiny-disk-'));
  try {
    const child = spawn(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--mount',
        'sh',
        '-c',
        MOUNT_AND_RUN,
        dir,
        size,
        process.execPath,
        '--conditions=fleetline-source',
        '--import',
        'tsx',
        script,
        dir,
        ...args,
      ],
      { cwd: COMPANION_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>((resolve) => child.once('close', (c, s) => resolve({ code: c, signal: s })));
    clearTimeout(timer);
    return { code, signal, stdout, stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The last line of a fixture's output, which it prints as JSON. */
export function findings<T>(run: TinyDiskRun): T {
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `the fixture printed no findings (code ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`,
    );
  }
}
