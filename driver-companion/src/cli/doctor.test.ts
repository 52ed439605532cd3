import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectOutbox } from '../outbox/inspection.js';
import { Outbox } from '../outbox/outbox.js';
import type { SampleDraft } from '../outbox/samples.js';
import { createLogger } from '../util/logger.js';
import { numberingCheck } from './doctor.js';

const logger = createLogger('silent');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-doctor-numbering-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'outbox.sqlite');
}

function open(file: string): Outbox {
  const outbox = Outbox.open({ file, maxBytes: 64 << 20, synchronous: 'NORMAL', logger });
  cleanups.push(() => outbox.close());
  return outbox;
}

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);
function positions(n: number): SampleDraft[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'position',
    t: T0 + i * 1000,
    lat: 52.5,
    lon: 13.4,
    fixQuality: 'gps',
  }));
}

/**
 * doctor's line for the outbox in `file` (closed: no daemon runs) against a
 * server at `highestStoredSeq` for `deviceId` that says the token's numbers
 * last came from `lastOutboxId`, and what the daemon's hello then does once
 * it has opened the file.
 */
function diagnose(
  file: string,
  deviceId: number,
  highestStoredSeq: number,
  lastOutboxId?: string | null,
) {
  const hello = { deviceId, highestStoredSeq };
  const found = inspectOutbox(file, 64 << 20);
  if (found.kind !== 'outbox') throw new Error(`no outbox to inspect: ${found.kind}`);
  const { inspection } = found;
  const check = numberingCheck(
    hello,
    inspection.snapshot,
    inspection.previewNumbering(deviceId, highestStoredSeq, lastOutboxId),
  );
  inspection.close();
  return {
    check,
    hello: open(file).checkNumbering(deviceId, highestStoredSeq, lastOutboxId),
  };
}

/** An outbox the daemon left behind: opened, worked on, closed. */
function leave(file: string, work: (outbox: Outbox) => void): void {
  const outbox = Outbox.open({ file, maxBytes: 64 << 20, synchronous: 'NORMAL', logger });
  work(outbox);
  outbox.close();
}

describe('doctor on the numbering of the next hello', () => {
  it('a new outbox that recorded more than the server holds: all of it is renumbered', () => {
    const file = tempFile();
    leave(file, (outbox) => outbox.append(positions(150)));
    const { check, hello } = diagnose(file, 7, 100);
    expect(check).toEqual({
      status: 'info',
      area: 'outbox',
      message:
        "this outbox has not completed a hello yet (a new or wiped card, or a corrupt file moved aside): it numbered from 1 without knowing the server's numbers; at its first hello the daemon renumbers all 150 waiting sample(s) above the server's seq 100, from 101 on, in order, or the server would drop them as replays",
    });
    expect(hello).toMatchObject({ reason: 'new-outbox', renumbered: 150, from: 101 });
  });

  it('a new outbox whose waiting samples are all above what the server holds: nothing moves', () => {
    const file = tempFile();
    leave(file, (outbox) => outbox.append(positions(3)));
    const { check, hello } = diagnose(file, 7, 0);
    expect(check?.message).toBe(
      "this outbox has not completed a hello yet (a new or wiped card, or a corrupt file moved aside): it numbered from 1 without knowing the server's numbers; nothing waiting is numbered at or below the server's seq 0, so nothing is renumbered, and the first hello records the check (numbering continues from 4)",
    );
    expect(hello).toMatchObject({ reason: 'new-outbox', renumbered: 0, lastAssignedSeq: 3 });
  });

  it('an outbox numbered for another device (another vehicle’s token): all of it is renumbered', () => {
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(3, 0);
      outbox.append(positions(5));
    });
    const { check, hello } = diagnose(file, 7, 40);
    expect(check?.message).toBe(
      "this outbox's numbering was checked for device 3, and this token is device 7's; at its first hello the daemon renumbers all 5 waiting sample(s) above the server's seq 40, from 41 on, in order, or the server would drop them as replays",
    );
    expect(hello).toMatchObject({ reason: 'new-outbox', renumbered: 5, from: 41 });
  });

  it('an outbox already checked for this device, the server past its counter: all of it is renumbered', () => {
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(5));
    });
    const { check, hello } = diagnose(file, 7, 20);
    expect(check).toEqual({
      status: 'info',
      area: 'outbox',
      message:
        "the server holds up to seq 20, past the last number this outbox handed out (5): a card restored from a backup, or another companion sending with this token? At its next hello the daemon renumbers all 5 waiting sample(s) above the server's seq 20, from 21 on, in order (should it record more than 15 before then, only those recorded since it started, the rest being replays)",
      fix: 'if no backup was restored, make sure no other companion uses this token (each vehicle needs its own: register-vehicle)',
    });
    expect(hello).toMatchObject({ reason: 'server-ahead', renumbered: 5, from: 21 });
  });

  it('an outbox reopened and closed since its last check, the server not past its counter: nothing to say', () => {
    // What a running daemon recorded since it opened the file is renumbered at its
    // next hello should the server be past its counter at open ("restored"); a
    // daemon starting on the file opens it at the counter doctor sees, so then
    // what waits that the server holds is a replay.
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(10));
    });
    leave(file, (outbox) => outbox.append(positions(8)));
    const { check, hello } = diagnose(file, 7, 15);
    expect(check).toBeNull();
    expect(hello).toMatchObject({ reason: null, renumbered: 0, lastAssignedSeq: 18 });
  });

  it('an outbox checked for this device, the server not past its counter: nothing to say', () => {
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(5));
    });
    const { check, hello } = diagnose(file, 7, 3);
    expect(check).toBeNull();
    expect(hello).toMatchObject({ reason: null, renumbered: 0 });
  });

  it('a backup restored, the server past its counter and this outbox on record: what waits keeps its numbers', () => {
    const file = tempFile();
    let id: string | null = null;
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(10));
      id = outbox.id;
    });
    const { check, hello } = diagnose(file, 7, 20, id);
    expect(check).toEqual({
      status: 'info',
      area: 'outbox',
      message:
        "the server holds up to seq 20, past this outbox's counter when it was opened (10), and says its numbers came from this outbox: a card restored from a backup, or commits a power cut rolled back after they were sent? What waits was numbered before and keeps its numbers (what the server holds of it is a replay, the rest it stores); what the daemon records before its next hello is renumbered above 20; numbering continues from 21",
    });
    expect(hello).toMatchObject({ reason: 'restored', renumbered: 0, lastAssignedSeq: 20 });
  });

  it('another outbox on record, the server past the counter: all of it is renumbered, however much the daemon records first', () => {
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(5));
    });
    const { check, hello } = diagnose(file, 7, 20, randomUUID());
    expect(check).toEqual({
      status: 'info',
      area: 'outbox',
      message:
        "the server holds up to seq 20, past the last number this outbox handed out (5): the server says another outbox sent with this token last (another card, or another companion with this token). At its next hello the daemon renumbers all 5 waiting sample(s) above the server's seq 20, from 21 on, in order",
      fix: 'make sure no other companion uses this token (each vehicle needs its own: register-vehicle)',
    });
    expect(hello).toMatchObject({ reason: 'server-ahead', renumbered: 5, from: 21 });
  });

  it('another outbox on record, the server not past the counter but past what waits: all of it is renumbered', () => {
    const file = tempFile();
    leave(file, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(80));
      outbox.settle(1, 39);
    });
    const { check, hello } = diagnose(file, 7, 50, randomUUID());
    expect(check).toEqual({
      status: 'info',
      area: 'outbox',
      message:
        "the server says another outbox sent with this token last (another card, or another companion with this token), and holds up to seq 50; at its next hello the daemon renumbers all 41 waiting sample(s) above the server's seq 50, from 51 on, in order, or those the other outbox numbered alike would be dropped as replays",
      fix: 'make sure no other companion uses this token (each vehicle needs its own: register-vehicle)',
    });
    expect(hello).toMatchObject({ reason: 'other-outbox', renumbered: 41, from: 51 });

    const clear = tempFile();
    leave(clear, (outbox) => {
      outbox.checkNumbering(7, 0);
      outbox.append(positions(80));
      outbox.settle(1, 39);
    });
    const below = diagnose(clear, 7, 39, randomUUID());
    expect(below.check?.message).toBe(
      "the server says another outbox sent with this token last (another card, or another companion with this token), and holds up to seq 39; nothing waiting is numbered at or below the server's seq 39, so nothing is renumbered",
    );
    expect(below.hello).toMatchObject({ reason: 'other-outbox', renumbered: 0 });
  });

  it('the message for an outbox the server is past since it was opened', () => {
    // Only a daemon's open outbox can be here, not a file doctor inspects; the
    // message is kept for the rule's every case.
    const check = numberingCheck(
      { deviceId: 7, highestStoredSeq: 15 },
      { pending: 18, lastAssignedSeq: 18 },
      {
        reason: 'restored',
        renumbered: 8,
        from: 16,
        lastAssignedSeq: 23,
        numberedFor: 7,
        lastSeqAtOpen: 10,
        lastOutbox: 'unknown',
      },
    );
    expect(check?.message).toBe(
      "the server holds up to seq 15, past this outbox's counter when it was opened (10): a card restored from a backup, or commits a power cut rolled back after they were sent? At its next hello the daemon renumbers the 8 sample(s) numbered since above 15, from 16 on, in order; those numbered before are replays",
    );
  });
});
