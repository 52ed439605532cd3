import { describe, expect, it } from 'vitest';
import { PollScheduler, SOLO_FAILURES_BEFORE_DROP } from './scheduler.js';

const SPEED = 0x0d;
const RPM = 0x0c;
const THROTTLE = 0x11;
const LOAD = 0x04;
const COOLANT = 0x05;
const FUEL = 0x2f;
const MAF = 0x10;

const plan = [
  { pid: SPEED, everyMs: 1000 },
  { pid: RPM, everyMs: 1000 },
  { pid: THROTTLE, everyMs: 1000 },
  { pid: LOAD, everyMs: 2000 },
  { pid: COOLANT, everyMs: 30_000 },
  { pid: FUEL, everyMs: 60_000 },
];

/** Runs the scheduler as the OBD loop does, answering everything, and records what was read when. */
function simulate(
  scheduler: PollScheduler,
  untilMs: number,
  stepMs = 100,
): { requests: number[][]; readsOf: Map<number, number[]> } {
  const requests: number[][] = [];
  const readsOf = new Map<number, number[]>();
  for (let now = 0; now <= untilMs; now += stepMs) {
    for (const request of scheduler.due(now)) {
      requests.push(request);
      for (const pid of request) readsOf.set(pid, [...(readsOf.get(pid) ?? []), now]);
      scheduler.markRead(request, now);
    }
  }
  return { requests, readsOf };
}

describe('PollScheduler', () => {
  it('starts with every supported PID due and says which planned ones the vehicle lacks', () => {
    const scheduler = new PollScheduler(plan, { maxPerRequest: 6 });
    const unsupported = scheduler.reset(0, new Set([SPEED, RPM, THROTTLE, LOAD, COOLANT]));
    expect(unsupported).toEqual([FUEL]);
    expect(scheduler.active.sort()).toEqual([LOAD, COOLANT, RPM, SPEED, THROTTLE].sort());
    const requests = scheduler.due(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.sort()).toEqual([LOAD, COOLANT, RPM, SPEED, THROTTLE].sort());
  });

  it('packs due PIDs up to the protocol limit and reads one per request on legacy buses', () => {
    const can = new PollScheduler(plan, { maxPerRequest: 6 });
    can.reset(0, null);
    expect(can.due(0).map((r) => r.length)).toEqual([6]);

    const legacy = new PollScheduler(plan, { maxPerRequest: 1 });
    legacy.reset(0, null);
    expect(legacy.due(0).map((r) => r.length)).toEqual([1, 1, 1, 1, 1, 1]);

    const four = new PollScheduler(plan, { maxPerRequest: 4 });
    four.reset(0, null);
    expect(four.due(0).map((r) => r.length)).toEqual([4, 2]);
  });

  it('reads each PID at its planned rate over a long run, fast ones fast and slow ones slow', () => {
    const scheduler = new PollScheduler(plan, { maxPerRequest: 6 });
    scheduler.reset(0, null);
    const { readsOf } = simulate(scheduler, 600_000);
    const count = (pid: number) => readsOf.get(pid)?.length ?? 0;
    // Ten minutes: 601 speed readings at 1 s, 301 load at 2 s, 21 coolant at 30 s, 11 fuel at 60 s.
    expect(count(SPEED)).toBe(601);
    expect(count(RPM)).toBe(601);
    expect(count(LOAD)).toBe(301);
    expect(count(COOLANT)).toBe(21);
    expect(count(FUEL)).toBe(11);
    // Filling ahead shifts a slow PID's phase once (by at most half a period);
    // after that it keeps its planned period exactly.
    const coolant = readsOf.get(COOLANT) ?? [];
    const gaps = coolant.slice(1).map((t, i) => t - (coolant[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15_000);
    expect(gaps.slice(1).every((gap) => gap === 30_000)).toBe(true);
  });

  it('tops a request up with PIDs due soon, so slow PIDs ride along with fast ones', () => {
    const scheduler = new PollScheduler(
      [
        { pid: SPEED, everyMs: 1000 },
        { pid: COOLANT, everyMs: 10_000 },
      ],
      { maxPerRequest: 6 },
    );
    scheduler.reset(0, null);
    scheduler.markRead(scheduler.due(0).flat(), 0);
    // Coolant is due at 10 s; at 5 s it is within half its period and rides with speed.
    expect(scheduler.due(4000)).toEqual([[SPEED]]);
    scheduler.markRead([SPEED], 4000);
    expect(scheduler.due(5000)).toEqual([[SPEED, COOLANT]]);
    scheduler.markRead([SPEED, COOLANT], 5000);
    // Its next reading is still planned for 20 s, counted from when it was due.
    expect(scheduler.due(14_000)).toEqual([[SPEED]]);
    scheduler.markRead([SPEED], 14_000);
    expect(scheduler.due(15_000)).toEqual([[SPEED, COOLANT]]);
  });

  it('serves the most overdue PIDs first when the bus cannot keep up', () => {
    const scheduler = new PollScheduler(
      [
        { pid: SPEED, everyMs: 1000 },
        { pid: RPM, everyMs: 1000 },
        { pid: COOLANT, everyMs: 30_000 },
      ],
      { maxPerRequest: 1 },
    );
    scheduler.reset(0, null);
    scheduler.markRead([SPEED, RPM, COOLANT], 0);
    // At 31 s everything is late; speed and RPM by 30 periods, coolant by a fraction of one.
    const order = scheduler.due(31_000).flat();
    expect(order.indexOf(COOLANT)).toBe(2);
    // After a stall, missed periods are not replayed in a burst.
    scheduler.markRead([SPEED], 31_000);
    expect(scheduler.due(31_500).flat()).not.toContain(SPEED);
    expect(scheduler.due(32_000).flat()).toContain(SPEED);
  });

  it('retries a PID alone after a packed request failed, and drops one that never answers', () => {
    const scheduler = new PollScheduler(
      [
        { pid: SPEED, everyMs: 1000 },
        { pid: MAF, everyMs: 1000 },
      ],
      { maxPerRequest: 6 },
    );
    scheduler.reset(0, null);
    expect(scheduler.due(0)).toEqual([[SPEED, MAF]]);
    scheduler.markFailed([SPEED, MAF], 0, true);
    // Both are asked on their own right away.
    expect(scheduler.due(0)).toEqual([[SPEED], [MAF]]);
    scheduler.markRead([SPEED], 0);
    let dropped: number[] = [];
    for (let i = 0; i < SOLO_FAILURES_BEFORE_DROP; i += 1) {
      const now = (i + 1) * 1000;
      expect(scheduler.due(now)).toContainEqual([MAF]);
      scheduler.markRead([SPEED], now);
      dropped = scheduler.markFailed([MAF], now, true);
    }
    expect(dropped).toEqual([MAF]);
    expect(scheduler.dropped).toEqual([MAF]);
    expect(scheduler.due(10_000)).toEqual([[SPEED]]);
  });

  it('asks a PID left out of a packed reply on its own before counting anything against it', () => {
    const scheduler = new PollScheduler(
      [
        { pid: SPEED, everyMs: 1000 },
        { pid: RPM, everyMs: 1000 },
        { pid: MAF, everyMs: 1000 },
      ],
      { maxPerRequest: 6 },
    );
    scheduler.reset(0, null);
    // Three rounds in which the packed reply carries speed and RPM but not MAF,
    // as the OBD loop reports them: MAF alone was missing, from a packed request.
    for (let round = 0; round < SOLO_FAILURES_BEFORE_DROP; round += 1) {
      const now = round * 1000;
      const requests = scheduler.due(now);
      const packed = requests.find((r) => r.length > 1);
      if (round === 0) expect(packed?.sort()).toEqual([RPM, SPEED, MAF].sort());
      else expect(requests).toContainEqual([MAF]);
      for (const request of requests) {
        scheduler.markRead(
          request.filter((pid) => pid !== MAF),
          now,
        );
        if (request.includes(MAF)) {
          expect(scheduler.markFailed([MAF], now, true, request.length > 1)).toEqual([]);
        }
      }
    }
    // Never dropped for missing from packed replies; it was asked alone from the second round on.
    expect(scheduler.dropped).toEqual([]);
    expect(scheduler.active).toContain(MAF);
    // And once asked alone, an answer puts it back into the packed request.
    expect(scheduler.due(3000)).toContainEqual([MAF]);
    scheduler.markRead([SPEED, RPM, MAF], 3000);
    expect(scheduler.due(4000).map((r) => [...r].sort())).toEqual([[RPM, SPEED, MAF].sort()]);
  });

  it('does not hold a bus error against the PIDs', () => {
    const scheduler = new PollScheduler([{ pid: SPEED, everyMs: 1000 }], { maxPerRequest: 6 });
    scheduler.reset(0, null);
    for (let i = 0; i < 10; i += 1) scheduler.markFailed([SPEED], i * 1000, false);
    expect(scheduler.dropped).toEqual([]);
    expect(scheduler.active).toEqual([SPEED]);
  });

  it('has nothing to do with an empty plan', () => {
    const scheduler = new PollScheduler([], { maxPerRequest: 6 });
    scheduler.reset(0, null);
    expect(scheduler.due(0)).toEqual([]);
    expect(scheduler.nextDueAt()).toBeNull();
  });
});
