import { describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import type { SampleDraft } from './samples.js';
import { T0, driving, open, position, reading, useTempFiles } from './outbox-kit.fixture.js';

// The disk-bound policy (disk-bound.ts), through the outbox that applies it after every commit.

const tempFile = useTempFiles();

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
