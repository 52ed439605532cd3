import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { Outbox } from './outbox.js';
import type { SampleDraft } from './samples.js';

const logger = createLogger('silent');
const dirs: string[] = [];

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-outbox-'));
  dirs.push(dir);
  return path.join(dir, 'outbox.sqlite');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);

function position(t: number, lat = 52.5): SampleDraft {
  return { kind: 'position', t, lat, lon: 13.4, speedKmh: 30, fixQuality: 'gps' };
}
function reading(t: number, pid = 13, value = 30): SampleDraft {
  return { kind: 'reading', t, pid, part: 0, value, unit: 'km/h' };
}
function driving(t: number): SampleDraft {
  return { kind: 'driving', t, event: 'harsh_braking', accelMs2: -5, speedKmh: 40 };
}

function open(file: string, options: Partial<Parameters<typeof Outbox.open>[0]> = {}): Outbox {
  return Outbox.open({ file, maxBytes: 64 * 1024 * 1024, synchronous: 'FULL', logger, ...options });
}

describe('Outbox', () => {
  it('numbers samples from 1 in order and never hands a number out twice, even after everything was settled', () => {
    const file = tempFile();
    let outbox = open(file);
    const result = outbox.append([position(T0), reading(T0 + 10), driving(T0 + 20)]);
    expect(result).toEqual({ first: 1, last: 3, stored: 3, refused: 0 });
    const rows = outbox.read(0, null, 10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[1]?.sample).toEqual({ seq: 2, ...reading(T0 + 10) });
    expect(outbox.settle(1, 3)).toBe(3);
    expect(outbox.pending).toBe(0);
    outbox.close();

    outbox = open(file);
    expect(outbox.lastAssignedSeq).toBe(3);
    expect(outbox.append([position(T0 + 30)]).first).toBe(4);
    outbox.close();
  });

  it('reads a lane between two bounds and settles exactly one batch range', () => {
    const outbox = open(tempFile());
    outbox.append(Array.from({ length: 10 }, (_, i) => position(T0 + i * 1000)));
    expect(outbox.read(3, 6, 100).map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(outbox.read(3, null, 2).map((r) => r.seq)).toEqual([4, 5]);
    expect(outbox.settle(4, 6, [{ seq: 5, field: 'lat', reason: 'Too big' }])).toBe(3);
    expect(outbox.read(0, null, 100).map((r) => r.seq)).toEqual([1, 2, 3, 7, 8, 9, 10]);
    expect(outbox.recentRejections()).toMatchObject([{ seq: 5, field: 'lat', reason: 'Too big' }]);
    expect(outbox.stats().counters.rejectedByServer).toBe(1);
    outbox.close();
  });

  it('renumbers waiting samples above the server’s highest stored number, keeping their order', () => {
    const outbox = open(tempFile(), { journal: true });
    outbox.append([position(T0), reading(T0 + 1), driving(T0 + 2)]);
    outbox.settle(1, 1);
    // Nothing to do when the server is behind or level with us.
    expect(outbox.renumberAbove(3)).toEqual({ renumbered: 0, from: null, lastAssignedSeq: 3 });

    const result = outbox.renumberAbove(100);
    expect(result).toEqual({ renumbered: 2, from: 101, lastAssignedSeq: 102 });
    const rows = outbox.read(0, null, 10);
    expect(rows.map((r) => [r.seq, r.sample.kind])).toEqual([
      [101, 'reading'],
      [102, 'driving'],
    ]);
    expect(outbox.append([position(T0 + 3)]).first).toBe(103);
    // The journal follows: the settled sample keeps the number the server stored it under.
    expect(outbox.journal().map((r) => r.seq)).toEqual([1, 101, 102, 103]);
    expect(outbox.stats().counters.renumbered).toBe(2);
    outbox.close();
  });

  it('moves an unreadable batch to quarantine instead of retrying it forever', () => {
    const outbox = open(tempFile());
    outbox.append([position(T0), position(T0 + 1), position(T0 + 2)]);
    expect(outbox.quarantine(1, 2, 'batch-malformed')).toBe(2);
    expect(outbox.read(0, null, 10).map((r) => r.seq)).toEqual([3]);
    expect(outbox.quarantined()).toBe(2);
    expect(outbox.stats().counters.quarantined).toBe(2);
    outbox.close();
  });

  it('keeps a refusal per token across restarts', () => {
    const file = tempFile();
    let outbox = open(file);
    outbox.setRefusal({
      type: 'device-token-revoked',
      message: 'revoked',
      at: T0,
      tokenHash: 'abc',
    });
    outbox.close();
    outbox = open(file);
    expect(outbox.getRefusal()).toEqual({
      type: 'device-token-revoked',
      message: 'revoked',
      at: T0,
      tokenHash: 'abc',
    });
    outbox.setRefusal(null);
    expect(outbox.getRefusal()).toBeNull();
    outbox.close();
  });

  it('moves a file SQLite cannot read aside and starts a new outbox', () => {
    const file = tempFile();
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    const outbox = open(file);
    expect(outbox.append([position(T0)]).first).toBe(1);
    outbox.close();
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.corrupt-'));
    expect(aside.length).toBeGreaterThan(0);
  });
});

describe('Outbox disk bound', () => {
  it('thins old positions and readings, never events, and keeps the files under the bound', () => {
    const maxBytes = 4 * 1024 * 1024;
    const outbox = open(tempFile(), { maxBytes, synchronous: 'NORMAL' });
    let events = 0;
    let t = T0;
    let lastPositions: number[] = [];
    // Ten hours offline at 1 Hz positions and readings, an event every minute.
    for (let minute = 0; minute < 600; minute += 1) {
      const batch: SampleDraft[] = [];
      for (let s = 0; s < 60; s += 1) {
        t += 1000;
        batch.push(position(t, 52 + minute / 1000), reading(t, 13, s), reading(t, 12, 800 + s));
      }
      batch.push(driving(t));
      events += 1;
      const result = outbox.append(batch);
      expect(result.stored).toBe(batch.length);
      lastPositions = outbox
        .read(result.first! - 1, result.last, 1000)
        .filter((r) => r.sample.kind === 'position')
        .map((r) => r.seq);
      expect(outbox.fileBytes()).toBeLessThanOrEqual(maxBytes);
    }
    const stats = outbox.stats();
    const all = outbox.read(0, null, 1_000_000);
    expect(all.filter((r) => r.sample.kind === 'driving')).toHaveLength(events);
    expect(stats.counters.thinnedPositions).toBeGreaterThan(0);
    expect(stats.counters.thinnedReadings).toBeGreaterThan(0);
    expect(stats.fileBytes).toBeLessThanOrEqual(maxBytes);
    // The newest minute is intact: thinning works on the older half.
    const kept = new Set(all.map((r) => r.seq));
    expect(lastPositions.every((seq) => kept.has(seq))).toBe(true);
    expect(stats.pending).toBe(all.length);
    outbox.close();
  });

  it('refuses positions and readings, never events, when events alone fill the bound', () => {
    const outbox = open(tempFile(), { maxBytes: 1024 * 1024, synchronous: 'NORMAL' });
    let t = T0;
    outbox.append(Array.from({ length: 500 }, () => position((t += 1000))));
    for (let i = 0; i < 200 && !outbox.full; i += 1) {
      outbox.append(Array.from({ length: 100 }, () => driving((t += 1000))));
    }
    expect(outbox.stats().full).toBe(true);
    // The positions went first; every event is still there.
    const kinds = outbox.read(0, null, 1_000_000).map((r) => r.sample.kind);
    expect(kinds.filter((k) => k === 'position')).toHaveLength(0);
    expect(kinds.filter((k) => k === 'driving')).toHaveLength(outbox.lastAssignedSeq - 500);
    const result = outbox.append([position((t += 1000)), driving((t += 1000))]);
    expect(result.stored).toBe(1);
    expect(result.refused).toBe(1);
    expect(outbox.read(result.first! - 1, null, 10)[0]?.sample.kind).toBe('driving');
    expect(outbox.stats().counters.refusedWhileFull).toBe(1);
    // Once the server takes events, positions are accepted again.
    outbox.settle(1, outbox.lastAssignedSeq);
    expect(outbox.append([position((t += 1000))]).stored).toBe(1);
    outbox.close();
  });

  it('never drops the newest half to make room, even when events alone nearly fill the positions’ share', () => {
    const outbox = open(tempFile(), { maxBytes: 1024 * 1024, synchronous: 'NORMAL' });
    const { thinAboveBytes } = outbox.stats();
    let t = T0;
    // Events up to between the policy's target (85 %) and its trigger: thinning alone cannot get back under.
    while (outbox.usedBytes() < thinAboveBytes * 0.92) {
      outbox.append(Array.from({ length: 20 }, () => driving((t += 1000))));
    }
    expect(outbox.full).toBe(false);
    const events = outbox.pending;
    const result = outbox.append(Array.from({ length: 1000 }, () => position((t += 1000))));
    expect(result.stored).toBe(1000);
    const positions = outbox
      .read(result.first! - 1, result.last, 10_000)
      .filter((r) => r.sample.kind === 'position')
      .map((r) => r.seq);
    // The newer half of what was just recorded is all there; every event too.
    const newerHalf = Array.from({ length: 500 }, (_, i) => result.last! - 499 + i);
    expect(positions).toEqual(expect.arrayContaining(newerHalf));
    expect(outbox.read(0, null, 1_000_000).filter((r) => r.sample.kind === 'driving')).toHaveLength(
      events,
    );
    expect(outbox.fileBytes()).toBeLessThanOrEqual(1024 * 1024);
    outbox.close();
  });

  it('does not run the policy or warn again for samples refused while full', () => {
    const lines: { level: number; msg: string }[] = [];
    const logged = createLogger(
      'info',
      {},
      {
        write: (line: string) =>
          void lines.push(JSON.parse(line) as { level: number; msg: string }),
      },
    );
    const outbox = open(tempFile(), {
      maxBytes: 1024 * 1024,
      synchronous: 'NORMAL',
      logger: logged,
    });
    let t = T0;
    for (let i = 0; i < 200 && !outbox.full; i += 1) {
      outbox.append(Array.from({ length: 100 }, () => driving((t += 1000))));
    }
    expect(outbox.full).toBe(true);
    const before = lines.length;
    // A receiver's epochs while full: a hundred positions refused, one at a time.
    for (let i = 0; i < 100; i += 1) {
      expect(outbox.append([position((t += 1000))])).toMatchObject({ stored: 0, refused: 1 });
    }
    expect(lines.slice(before)).toEqual([]);
    expect(outbox.stats().counters.refusedWhileFull).toBe(100);
    outbox.close();
  });

  it('keeps events in a reserve past the positions, then refuses new ones rather than pass the bound', () => {
    const maxBytes = 1024 * 1024;
    const outbox = open(tempFile(), { maxBytes, synchronous: 'NORMAL' });
    const limits = outbox.stats();
    expect(limits.thinAboveBytes).toBeLessThan(limits.refuseEventsAboveBytes);
    expect(limits.refuseEventsAboveBytes).toBeLessThan(maxBytes);
    let t = T0;
    let stored = 0;
    // Events, a hundred at a time, until even they are refused.
    for (let i = 0; i < 400 && !outbox.eventsFull; i += 1) {
      stored += outbox.append(Array.from({ length: 100 }, () => driving((t += 1000)))).stored;
      expect(outbox.fileBytes()).toBeLessThanOrEqual(maxBytes);
      // Past the positions' share, events were still taken (the reserve) while positions were not.
      if (outbox.full && !outbox.eventsFull) {
        expect(outbox.append([position((t += 1000))]).refused).toBe(1);
      }
    }
    expect(outbox.stats()).toMatchObject({ full: true, eventsFull: true });
    expect(outbox.stats().counters.refusedWhileFull).toBeGreaterThan(0);
    const refused = outbox.append([driving((t += 1000))]);
    expect(refused).toMatchObject({ stored: 0, refused: 1 });
    expect(outbox.stats().counters.refusedEventsWhileFull).toBe(1);
    // Nothing stored was dropped, and the files stayed within the bound.
    expect(outbox.read(0, null, 1_000_000)).toHaveLength(stored);
    expect(outbox.fileBytes()).toBeLessThanOrEqual(maxBytes);
    // The server takes the older half: events are accepted again.
    outbox.settle(1, Math.floor(outbox.lastAssignedSeq / 2));
    expect(outbox.eventsFull).toBe(false);
    expect(outbox.append([driving((t += 1000))]).stored).toBe(1);
    outbox.close();
  });
});

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * What is durable when: a sample is in the outbox once append() has
 * returned. A child appends in a loop and reports each committed number;
 * it is killed with SIGKILL mid-loop; every reported number must be there.
 */
describe.each(['FULL', 'NORMAL'] as const)(
  'Outbox under SIGKILL (synchronous=%s)',
  (synchronous) => {
    it('keeps every sample whose append returned', async () => {
      const file = tempFile();
      const script = path.join(HERE, 'outbox-writer.fixture.ts');
      const child = spawn(
        process.execPath,
        ['--conditions=fleetline-source', '--import', 'tsx', script, file, synchronous],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let committed = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error(`writer too slow: ${stderr}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) if (line) committed = Math.max(committed, Number(line));
          if (committed >= 400) {
            child.kill('SIGKILL');
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await new Promise((resolve) => child.once('exit', resolve));
      expect(child.signalCode).toBe('SIGKILL');

      const outbox = open(file);
      const seqs = outbox.read(0, null, 1_000_000).map((r) => r.seq);
      expect(seqs.length).toBeGreaterThanOrEqual(committed);
      expect(seqs.slice(0, committed)).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(outbox.lastAssignedSeq).toBe(seqs.at(-1));
      outbox.close();
    });
  },
);
