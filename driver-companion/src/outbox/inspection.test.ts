import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { inspectOutbox } from './inspection.js';
import type { OutboxInspection } from './inspection.js';
import { Outbox } from './outbox.js';
import type { SampleDraft } from './samples.js';

// doctor's read-only view of an outbox file (inspection.ts): it must see what
// the daemon would, and change nothing of it.

const logger = createLogger('silent');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-inspection-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(file: string, maxBytes = 64 << 20): Outbox {
  const outbox = Outbox.open({ file, maxBytes, synchronous: 'NORMAL', logger });
  cleanups.push(() => outbox.close());
  return outbox;
}

function inspect(file: string, maxBytes = 64 << 20): OutboxInspection {
  const found = inspectOutbox(file, maxBytes);
  if (found.kind !== 'outbox') throw new Error(`no outbox to inspect: ${JSON.stringify(found)}`);
  cleanups.push(() => found.inspection.close());
  return found.inspection;
}

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);
function positions(n: number, from = 0): SampleDraft[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'position',
    t: T0 + (from + i) * 1000,
    lat: 52.5,
    lon: 13.4 + (from + i) / 1e5,
    speedKmh: 30,
    fixQuality: 'gps',
  }));
}

function hash(file: string): string | null {
  return fs.existsSync(file)
    ? createHash('sha256').update(fs.readFileSync(file)).digest('hex')
    : null;
}

describe('inspectOutbox', () => {
  it('reads what a running daemon committed, WAL included, and the daemon carries on', () => {
    const file = path.join(tempDir(), 'outbox.sqlite');
    const daemon = open(file);
    daemon.append(positions(5));
    daemon.settle(1, 2, [{ seq: 2, field: 't', reason: 'too far ahead' }]);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const inspection = inspect(file);
    expect(inspection.snapshot).toMatchObject({
      pending: 3,
      oldestSeq: 3,
      lastAssignedSeq: 5,
      recentRejections: [{ seq: 2, field: 't', reason: 'too far ahead' }],
    });
    expect(inspection.snapshot.counters.rejectedByServer).toBe(1);
    // The daemon writes on beside the reader.
    expect(daemon.append(positions(2, 5))).toMatchObject({ first: 6, last: 7 });
    inspection.close();
    daemon.close();
    expect(open(file).pending).toBe(5);
  });

  it('reads a file a killed daemon left, from its WAL, without changing the file or the WAL', () => {
    const dir = tempDir();
    const file = path.join(dir, 'outbox.sqlite');
    const daemon = open(file);
    daemon.append(positions(40));
    // What SIGKILL leaves on disk: the files as they are, nothing checkpointed.
    const left = path.join(dir, 'left.sqlite');
    for (const suffix of ['', '-wal', '-shm']) fs.copyFileSync(file + suffix, left + suffix);
    const before = { db: hash(left), wal: hash(`${left}-wal`) };

    const inspection = inspect(left);
    expect(inspection.snapshot).toMatchObject({ pending: 40, lastAssignedSeq: 40 });
    inspection.close();
    expect({ db: hash(left), wal: hash(`${left}-wal`) }).toEqual(before);
  });

  it('leaves a file closed cleanly as it was: what SQLite adds beside it holds nothing and goes at the next stop', () => {
    const file = path.join(tempDir(), 'outbox.sqlite');
    const daemon = open(file);
    daemon.append(positions(10));
    daemon.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const before = hash(file);

    inspect(file).close();
    expect(hash(file)).toBe(before);
    // A reader cannot take the lock that would let it remove its -wal and -shm again.
    expect(fs.statSync(`${file}-wal`).size).toBe(0);

    open(file).close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
  });

  it('says a file is over its bound and leaves the thinning to the daemon', () => {
    const file = path.join(tempDir(), 'outbox.sqlite');
    const daemon = open(file);
    for (let i = 0; i < 6; i += 1) daemon.append(positions(1000, i * 1000));
    daemon.close();
    const before = hash(file);

    const inspection = inspect(file, 1024 * 1024);
    const { snapshot } = inspection;
    expect(snapshot.pending).toBe(6000);
    expect(snapshot.usedBytes).toBeGreaterThan(snapshot.thinAboveBytes);
    inspection.close();
    expect(hash(file)).toBe(before);

    // The daemon with that bound does thin it.
    const bounded = open(file, 1024 * 1024);
    expect(bounded.pending).toBeLessThan(6000);
    expect(bounded.stats().counters.thinnedPositions).toBeGreaterThan(0);
  });

  it('reports a file SQLite cannot read and leaves it in place', () => {
    const dir = tempDir();
    const file = path.join(dir, 'outbox.sqlite');
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    const before = hash(file);
    expect(inspectOutbox(file, 64 << 20)).toEqual({
      kind: 'corrupt',
      message: 'file is not a database',
    });
    expect(hash(file)).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['outbox.sqlite']);
  });

  it('reports a missing file without creating it, or its directory', () => {
    const file = path.join(tempDir(), 'state', 'outbox.sqlite');
    expect(inspectOutbox(file, 64 << 20)).toEqual({ kind: 'missing' });
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it('reports a file a newer companion wrote, one without the tables, and one it cannot open', () => {
    const dir = tempDir();
    const newer = path.join(dir, 'newer.sqlite');
    open(newer).close();
    const db = new Database(newer);
    db.pragma('user_version = 2');
    db.close();
    expect(inspectOutbox(newer, 64 << 20)).toMatchObject({
      kind: 'newer',
      message: 'outbox schema 2 is newer than this companion understands (1)',
    });

    const empty = path.join(dir, 'empty.sqlite');
    fs.writeFileSync(empty, '');
    expect(inspectOutbox(empty, 64 << 20)).toMatchObject({
      kind: 'unset',
      missingTables: ['meta', 'samples', 'events', 'quarantine', 'rejections', 'journal'],
    });
    expect(fs.statSync(empty).size).toBe(0);

    const directory = path.join(dir, 'directory.sqlite');
    fs.mkdirSync(directory);
    expect(inspectOutbox(directory, 64 << 20)).toMatchObject({
      kind: 'unopenable',
      code: expect.stringMatching(/^SQLITE_/) as string,
    });
  });
});
