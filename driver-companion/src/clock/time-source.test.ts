import { describe, expect, it } from 'vitest';
import { TimeSource } from './time-source.js';
import type { TimeSourceOptions } from './time-source.js';

const TRUE_T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

/** A world with a true time, a system clock offset from it, and a monotonic clock. */
function world(systemOffsetMs: number, options: Partial<TimeSourceOptions> = {}) {
  let elapsed = 0;
  const changes: { drifting: boolean; driftMs: number; against: string }[] = [];
  const time = new TimeSource({
    maxDriftMs: 2000,
    systemNow: () => TRUE_T0 + elapsed + systemOffsetMs,
    monotonicNow: () => 5_000_000 + elapsed,
    onDriftChange: (c) => changes.push(c),
    ...options,
  });
  return {
    time,
    changes,
    advance: (ms: number) => (elapsed += ms),
    trueNow: () => TRUE_T0 + elapsed,
    /** A fix for the epoch that just began, arriving latencyMs after it. */
    fix(latencyMs = 50) {
      const epoch = TRUE_T0 + elapsed;
      elapsed += latencyMs;
      time.noteGpsTime(epoch);
      elapsed -= latencyMs;
    },
  };
}

describe('TimeSource', () => {
  it('uses the system clock until there is a fix, then GPS time', () => {
    const w = world(0);
    expect(w.time.source).toBe('system');
    expect(w.time.now()).toBe(w.trueNow());
    w.fix();
    expect(w.time.source).toBe('gps');
    expect(Math.abs(w.time.now() - w.trueNow())).toBeLessThanOrEqual(50);
  });

  it('takes the least late of recent fixes as the offset', () => {
    const w = world(0);
    for (const latency of [400, 120, 35, 300, 250]) {
      w.fix(latency);
      w.advance(1000);
    }
    // 35 ms was the best; the estimate is never ahead of true time.
    const error = w.time.now() - w.trueNow();
    expect(error).toBeLessThanOrEqual(0);
    expect(error).toBeGreaterThanOrEqual(-35);
  });

  it('goes back to the system clock without a fix when the system clock is right', () => {
    const w = world(300);
    w.fix();
    w.advance(10_000);
    expect(w.time.source).toBe('system');
    expect(w.time.now()).toBe(w.trueNow() + 300);
    expect(w.time.status().drifting).toBe(false);
  });

  it('notices a system clock that is off, reports it once, and keeps GPS time through a tunnel', () => {
    // A Raspberry Pi without a real-time clock that booted an hour behind.
    const w = world(-3_600_000);
    w.fix();
    w.advance(1000);
    w.fix();
    expect(w.changes).toEqual([]);
    w.advance(1000);
    w.fix();
    expect(w.changes).toEqual([{ drifting: true, driftMs: -3_599_950, against: 'gps' }]);
    for (let i = 0; i < 10; i += 1) {
      w.advance(1000);
      w.fix(20 + i * 10);
    }
    expect(w.changes).toHaveLength(1);
    // Ten minutes without a fix: still GPS time, carried on the monotonic clock.
    w.advance(600_000);
    expect(w.time.source).toBe('gps-holdover');
    expect(Math.abs(w.time.now() - w.trueNow())).toBeLessThanOrEqual(50);
    expect(w.time.status()).toMatchObject({ drifting: true, gpsDriftMs: -3_599_980 });
  });

  it('does not flap around the threshold', () => {
    let skew = 2100;
    let elapsed = 0;
    const changes: boolean[] = [];
    const time = new TimeSource({
      maxDriftMs: 2000,
      systemNow: () => TRUE_T0 + elapsed + skew,
      monotonicNow: () => elapsed,
      onDriftChange: (c) => changes.push(c.drifting),
    });
    for (let i = 0; i < 20; i += 1) {
      skew = i % 2 === 0 ? 2100 : 1900;
      elapsed += 1000;
      time.noteGpsTime(TRUE_T0 + elapsed);
    }
    expect(changes).toEqual([true]);
    skew = 200;
    for (let i = 0; i < 20; i += 1) {
      elapsed += 1000;
      time.noteGpsTime(TRUE_T0 + elapsed);
    }
    expect(changes).toEqual([true, false]);
  });

  it('falls back on the server clock when there is no GPS and the system clock is wrong', () => {
    const w = world(-900_000);
    w.time.noteServerTime(w.trueNow());
    expect(w.changes).toEqual([{ drifting: true, driftMs: -900_000, against: 'server' }]);
    w.advance(5000);
    expect(w.time.source).toBe('server');
    expect(w.time.now()).toBe(w.trueNow());
  });

  it('ignores receiver times from before 2000 (a receiver without a date yet)', () => {
    const w = world(0);
    w.time.noteGpsTime(315_964_800_000); // 1980-01-06, the GPS epoch
    expect(w.time.source).toBe('system');
    expect(w.time.status().lastGpsTime).toBeNull();
  });
});
