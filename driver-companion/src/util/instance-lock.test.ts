import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GUARD_FILE,
  InstanceLockError,
  LOCK_FILE,
  acquireInstanceLock,
  readInstance,
} from './instance-lock.js';

const dirs: string[] = [];
const children: { kill(signal: NodeJS.Signals): boolean }[] = [];

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

  it('is refused within the same process while held, and taken again once released', () => {
    const dir = tempDir();
    const lock = acquireInstanceLock(dir, 'first');
    expect(() => acquireInstanceLock(dir, 'second')).toThrow(InstanceLockError);
    lock.release();
    acquireInstanceLock(dir, 'second').release();
  });
});

const FIXTURE = fileURLToPath(new URL('./instance-lock.fixture.ts', import.meta.url));

/** A process about to take the lock (instance-lock.fixture.ts): told to try, it says whether it holds it. */
class Locker {
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: string[] = [];
  #waiting: (() => void) | null = null;
  #exited = false;

  constructor(dir: string, name: string) {
    this.child = spawn(
      process.execPath,
      ['--conditions=fleetline-source', '--import', 'tsx', FIXTURE, dir, name],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(this.child);
    let buffer = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      this.#lines.push(...lines);
      this.#waiting?.();
    });
    this.child.once('exit', () => {
      this.#exited = true;
      this.#waiting?.();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** The n-th line it printed (0: `ready`, 1: `held` or `refused`). */
  async line(n: number): Promise<string> {
    while (this.#lines.length <= n) {
      if (this.#exited)
        throw new Error(`locker ${this.pid} exited after ${this.#lines.join(', ')}`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
    return this.#lines[n] ?? '';
  }

  /** Lets a holder release the lock and end. */
  async end(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }

  async kill(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Two lockers told to try at the same moment: what each says. */
async function race(dir: string): Promise<{ holders: Locker[]; lockers: Locker[] }> {
  const lockers = [new Locker(dir, 'a'), new Locker(dir, 'b')];
  // Both are blocked reading stdin before either is told: one write each, back to back.
  for (const locker of lockers) expect(await locker.line(0)).toBe('ready');
  for (const locker of lockers) locker.child.stdin.write('g');
  const outcomes = await Promise.all(lockers.map((locker) => locker.line(1)));
  for (const outcome of outcomes) expect(['held', 'refused']).toContain(outcome);
  return { holders: lockers.filter((_, i) => outcomes[i] === 'held'), lockers };
}

describe('the instance lock between processes', () => {
  it(
    'goes to exactly one of two companions started at the same moment, round after round',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      const rounds = 20;
      for (let round = 0; round < rounds; round += 1) {
        // Half the rounds in a directory never locked, half beside the files earlier holders left.
        const where = round % 2 === 0 ? tempDir() : dir;
        const { holders, lockers } = await race(where);
        expect(
          holders.map((h) => h.pid),
          `round ${round}`,
        ).toHaveLength(1);
        expect(readInstance(where)?.pid).toBe(holders[0]?.pid);
        await Promise.all(lockers.map((locker) => locker.end()));
        expect(readInstance(where)).toBeNull();
        expect(fs.existsSync(path.join(where, GUARD_FILE))).toBe(true);
      }
    },
  );

  it(
    'is taken over from a killed holder by exactly one of two companions started together',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      for (let round = 0; round < 10; round += 1) {
        const crashed = new Locker(dir, 'crashed');
        expect(await crashed.line(0)).toBe('ready');
        crashed.child.stdin.write('g');
        expect(await crashed.line(1)).toBe('held');
        await crashed.kill();
        // Its record stays behind, naming a process that is gone.
        expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
          pid: crashed.pid,
        });
        expect(readInstance(dir)).toBeNull();

        const { holders, lockers } = await race(dir);
        expect(
          holders.map((h) => h.pid),
          `round ${round}`,
        ).toHaveLength(1);
        expect(readInstance(dir)?.pid).toBe(holders[0]?.pid);
        // The one kept out is kept out for as long as the holder runs.
        expect(() => acquireInstanceLock(dir, 'late')).toThrow(InstanceLockError);
        await Promise.all(lockers.map((locker) => locker.end()));
      }
    },
  );
});
