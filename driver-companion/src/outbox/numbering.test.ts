import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { T0, open, position, useTempFiles } from './outbox-kit.fixture.js';
import type { Outbox } from './outbox.js';

const tempFile = useTempFiles('companion-numbering-');
const DEVICE = 7;

function positions(n: number): ReturnType<typeof position>[] {
  return Array.from({ length: n }, (_, i) => position(T0 + i * 1000));
}

function waiting(outbox: Outbox): number[] {
  return outbox.read(0, null, 10_000).map((row) => row.seq);
}

function range(from: number, through: number): number[] {
  return Array.from({ length: through - from + 1 }, (_, i) => from + i);
}

/**
 * An outbox checked for DEVICE at its first hello, that recorded 1..10 and
 * sent 1..4; backed up then (counter 10, 5..10 waiting); it went on to 20
 * and the server stored all of it; then the backup is restored and records
 * three more (11..13) before its first hello. Returns the restored outbox.
 */
function restoredBackup(): { outbox: Outbox; id: string } {
  const file = tempFile();
  let outbox = open(file);
  outbox.checkNumbering(DEVICE, 0, null);
  outbox.append(positions(10));
  outbox.settle(1, 4);
  const id = outbox.id;
  if (id === null) throw new Error('the outbox has no id');
  outbox.close();
  const backup = `${file}.backup`;
  fs.copyFileSync(file, backup);

  outbox = open(file);
  outbox.append(positions(10));
  outbox.settle(5, 20);
  outbox.close();

  for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  fs.copyFileSync(backup, file);
  outbox = open(file);
  expect(outbox.id).toBe(id);
  expect(outbox.lastAssignedSeq).toBe(10);
  outbox.append(positions(3));
  expect(waiting(outbox)).toEqual([...range(5, 10), 11, 12, 13]);
  return { outbox, id };
}

describe('the numbering check by the outbox the server says numbered last', () => {
  it('a backup restored, the server past its counter and this outbox on record: what the backup held keeps its numbers, what was numbered since open moves', () => {
    const { outbox, id } = restoredBackup();
    expect(outbox.checkNumbering(DEVICE, 20, id)).toEqual({
      reason: 'restored',
      renumbered: 3,
      from: 21,
      lastAssignedSeq: 23,
    });
    // 5..10 are the backup's own: the server holds them (replays) or stores them now.
    expect(waiting(outbox)).toEqual([...range(5, 10), 21, 22, 23]);
    expect(outbox.append(positions(1)).first).toBe(24);
    outbox.close();
  });

  it('the server past the counter and another outbox on record: everything waiting moves', () => {
    const { outbox } = restoredBackup();
    expect(outbox.checkNumbering(DEVICE, 20, randomUUID())).toEqual({
      reason: 'server-ahead',
      renumbered: 9,
      from: 21,
      lastAssignedSeq: 29,
    });
    expect(waiting(outbox)).toEqual(range(21, 29));
    outbox.close();
  });

  it.each([
    ['null (nothing on record)', null],
    ['absent (an older server)', undefined],
  ])('no outbox on record, %s: judged by the numbers alone, as before', (_, lastOutboxId) => {
    const { outbox } = restoredBackup();
    expect(outbox.checkNumbering(DEVICE, 20, lastOutboxId)).toMatchObject({
      reason: 'server-ahead',
      renumbered: 9,
    });
    outbox.close();

    // The server not past the counter, what waits overlapping what it holds: replays, kept.
    const other = open(tempFile());
    other.checkNumbering(DEVICE, 0, lastOutboxId);
    other.append(positions(80));
    other.settle(1, 39);
    expect(other.checkNumbering(DEVICE, 50, lastOutboxId)).toEqual({
      reason: null,
      renumbered: 0,
      from: null,
      lastAssignedSeq: 80,
    });
    expect(waiting(other)).toEqual(range(40, 80));
    other.close();
  });

  it('another outbox on record, the server not past the counter but past what waits: everything waiting moves', () => {
    // This outbox is at 80 with 40..80 waiting; another numbered up to 50 with this token.
    const outbox = open(tempFile());
    outbox.checkNumbering(DEVICE, 0, null);
    outbox.append(positions(80));
    outbox.settle(1, 39);
    expect(outbox.checkNumbering(DEVICE, 50, randomUUID())).toEqual({
      reason: 'other-outbox',
      renumbered: 41,
      from: 51,
      lastAssignedSeq: 91,
    });
    expect(waiting(outbox)).toEqual(range(51, 91));
    outbox.close();
  });

  it('another outbox on record, nothing waiting at or below the server’s highest: nothing moves', () => {
    const outbox = open(tempFile());
    outbox.checkNumbering(DEVICE, 0, null);
    outbox.append(positions(80));
    outbox.settle(1, 39);
    expect(outbox.checkNumbering(DEVICE, 39, randomUUID())).toEqual({
      reason: 'other-outbox',
      renumbered: 0,
      from: null,
      lastAssignedSeq: 80,
    });
    expect(waiting(outbox)).toEqual(range(40, 80));
    outbox.close();
  });

  it('this outbox on record but never checked for this device: everything waiting moves', () => {
    const outbox = open(tempFile());
    outbox.checkNumbering(3, 0, null);
    outbox.append(positions(5));
    expect(outbox.checkNumbering(DEVICE, 20, outbox.id)).toMatchObject({
      reason: 'new-outbox',
      renumbered: 5,
      from: 21,
    });
    outbox.close();
  });

  it('this outbox on record, the server past the counter after a check since open: not its numbers, everything waiting moves', () => {
    // Every check raises the counter to the server's highest, and the outbox
    // sends nothing above its counter: such numbers came from elsewhere.
    const outbox = open(tempFile());
    outbox.checkNumbering(DEVICE, 0, null);
    outbox.append(positions(5));
    expect(outbox.checkNumbering(DEVICE, 20, outbox.id)).toMatchObject({
      reason: 'server-ahead',
      renumbered: 5,
      from: 21,
    });
    outbox.close();
  });

  it('this outbox on record, the server not past the counter: as without it', () => {
    const file = tempFile();
    let outbox = open(file);
    outbox.checkNumbering(DEVICE, 0, null);
    outbox.append(positions(10));
    outbox.close();
    outbox = open(file);
    outbox.append(positions(5));
    // Past the counter at open (10) but not the counter (15): those numbered since move.
    expect(outbox.checkNumbering(DEVICE, 12, outbox.id)).toMatchObject({
      reason: 'restored',
      renumbered: 5,
      from: 13,
    });
    expect(waiting(outbox)).toEqual([...range(1, 10), ...range(13, 17)]);
    expect(outbox.checkNumbering(DEVICE, 12, outbox.id)).toMatchObject({ reason: null });
    outbox.close();
  });
});
