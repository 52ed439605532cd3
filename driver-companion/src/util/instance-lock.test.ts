import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InstanceLockError,
  LOCK_FILE,
  acquireInstanceLock,
  readInstance,
} from './instance-lock.js';

const dirs: string[] = [];
const children: ReturnType<typeof spawn>[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-lock-'));
  dirs.push(dir);
  return dir;
}

function sleeper(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return new Promise((resolve) => child.once('spawn', () => resolve(child.pid ?? 0)));
}

function writeLock(dir: string, fields: Record<string, unknown>): void {
  fs.writeFileSync(
    path.join(dir, LOCK_FILE),
    JSON.stringify({
      name: 'other',
      startedAt: 1,
      health: null,
      bootId: null,
      procStart: null,
      ...fields,
    }),
  );
}

describe('the instance lock', () => {
  it('records the holder and where its health endpoint listens, and releases', () => {
    const dir = tempDir();
    const lock = acquireInstanceLock(dir, 'Van 12');
    expect(readInstance(dir)).toMatchObject({ pid: process.pid, name: 'Van 12', health: null });
    lock.update({ host: '127.0.0.1', port: 41234 });
    expect(readInstance(dir)?.health).toEqual({ host: '127.0.0.1', port: 41234 });
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a data directory a live companion holds', async () => {
    const dir = tempDir();
    const pid = await sleeper();
    writeLock(dir, { pid });
    expect(() => acquireInstanceLock(dir, 'second')).toThrow(InstanceLockError);
    expect(() => acquireInstanceLock(dir, 'second')).toThrow(
      /another companion \(pid \d+, "other"\)/,
    );
  });

  it('takes over a lock left by a process that is gone, or by a pid that now runs something else', async () => {
    const gone = tempDir();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = await new Promise<number>((resolve) =>
      child.once('exit', () => resolve(child.pid ?? 0)),
    );
    writeLock(gone, { pid });
    expect(readInstance(gone)).toBeNull();
    acquireInstanceLock(gone, 'mine').release();

    // The same pid, started at another moment: not the process that wrote the lock.
    const recycled = tempDir();
    writeLock(recycled, { pid: await sleeper(), procStart: '1' });
    expect(readInstance(recycled)).toBeNull();
    expect(() => acquireInstanceLock(recycled, 'mine')).not.toThrow();
  });

  it('never removes a lock another process took over', () => {
    const dir = tempDir();
    const lock = acquireInstanceLock(dir, 'mine');
    writeLock(dir, { pid: process.pid + 1, startedAt: 2 });
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true);
  });
});
