import { describe, expect, it } from 'vitest';
import { CompanionConfigSchema } from '../config/schema.js';
import { DrivingDeriver } from './driving-deriver.js';
import type { DrivingDraft, SpeedSource } from './driving-deriver.js';

const DEFAULTS = CompanionConfigSchema.shape.derive.parse(undefined);
const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);

function setup(overrides: Partial<typeof DEFAULTS> = {}) {
  const events: DrivingDraft[] = [];
  const deriver = new DrivingDeriver({ ...DEFAULTS, ...overrides }, (d) => events.push(d));
  let t = T0;
  /** Feeds speed at `hz` while it moves from one value to another over `seconds`. */
  const drive = (
    from: number,
    to: number,
    seconds: number,
    hz = 10,
    source: SpeedSource = 'gps',
  ) => {
    const steps = Math.round(seconds * hz);
    for (let i = 1; i <= steps; i += 1) {
      t += 1000 / hz;
      const v = from + ((to - from) * i) / steps;
      if (source === 'gps') deriver.position(52.5 + (t - T0) / 1e9, 13.4, t);
      deriver.speed({ t, speedKmh: v, source });
    }
  };
  return {
    events,
    deriver,
    drive,
    now: () => t,
    wait: (seconds: number, hz = 1, speedKmh = 0, source: SpeedSource = 'gps') =>
      drive(speedKmh, speedKmh, seconds, hz, source),
    at: (ms: number) => (t = ms),
  };
}

const kinds = (events: DrivingDraft[]) => events.map((e) => e.event);

describe('DrivingDeriver: trips', () => {
  it('starts a trip once the vehicle moves and ends it at ignition off, with duration and distance', () => {
    const { events, deriver, drive, wait, now } = setup();
    deriver.ignition(true, T0);
    wait(10);
    drive(0, 36, 10); // 1 m/s²
    drive(36, 36, 100); // 100 s at 10 m/s: 1 km
    drive(36, 0, 10);
    wait(5);
    deriver.ignition(false, now());
    expect(kinds(events)).toEqual(['trip_start', 'trip_end']);
    const [start, end] = events;
    // The trip began when the speed first passed 8 km/h (2.2 s into the ramp).
    expect(start?.t).toBeGreaterThan(T0 + 10_000 + 2000);
    expect(start?.t).toBeLessThan(T0 + 10_000 + 2400);
    expect(start?.lat).toBeTypeOf('number');
    expect(end?.t).toBe(now());
    expect(end?.durationS).toBeCloseTo((now() - (start?.t ?? 0)) / 1000, 1);
    // 1 km cruising, 48 m of the first ramp (from 8 km/h on), all 50 m of the last.
    expect(end?.distanceKm).toBeGreaterThan(1.09);
    expect(end?.distanceKm).toBeLessThan(1.105);
  });

  it('does not start a trip for a brief roll or with the ignition off', () => {
    const { events, deriver, drive } = setup();
    deriver.ignition(true, T0);
    drive(0, 10, 1);
    drive(10, 0, 1); // above 8 km/h for well under 3 s
    expect(events).toEqual([]);
    deriver.ignition(false, T0 + 5000);
    drive(0, 30, 5); // towed, or a GPS without OBD saying the ignition is off
    drive(30, 30, 10);
    expect(events).toEqual([]);
  });

  it('ends a GPS-only trip after standing still long enough, at the moment it stopped', () => {
    const { events, drive, wait, now } = setup();
    drive(0, 40, 10);
    drive(40, 40, 30);
    drive(40, 0, 10);
    const stoppedAt = now();
    wait(DEFAULTS.tripEndStationaryS - 10);
    expect(kinds(events)).toEqual(['trip_start']);
    wait(20);
    expect(kinds(events)).toEqual(['trip_start', 'trip_end']);
    // The last observation above 3 km/h is a tick before the stop.
    expect(Math.abs((events[1]?.t ?? 0) - stoppedAt)).toBeLessThan(1000);
  });

  it('reports the trip start with the speed and place of when it started, not of when it was confirmed', () => {
    const { events, deriver, drive } = setup();
    deriver.ignition(true, T0);
    drive(0, 36, 10);
    const [start] = events;
    expect(start?.event).toBe('trip_start');
    // 8 km/h is passed 2.2 s into the ramp; the trip is confirmed 3 s later, at about 19 km/h.
    expect(start?.speedKmh).toBeGreaterThanOrEqual(8);
    expect(start?.speedKmh).toBeLessThan(9);
  });

  it('places a trip start at the first fix after the motion began when there was none before', () => {
    const { events, deriver, at } = setup();
    deriver.ignition(true, T0);
    // OBD speed from the start; the GPS gets its first fix a second after the vehicle moved off.
    for (let i = 1; i <= 60; i += 1) {
      const t = at(T0 + i * 100);
      if (t >= T0 + 3000) deriver.position(52.51, 13.41, t);
      deriver.speed({ t, speedKmh: Math.min(30, i), source: 'obd' });
    }
    const [start] = events;
    expect(start?.event).toBe('trip_start');
    expect(start?.t).toBe(T0 + 800);
    expect(start).toMatchObject({ lat: 52.51, lon: 13.41 });
  });

  it('keeps a trip going when the adapter goes away, and ends it by standing still', () => {
    const { events, deriver, drive, wait, now } = setup();
    deriver.ignition(true, T0);
    drive(0, 40, 10);
    deriver.ignition(null, now());
    drive(40, 40, 30);
    drive(40, 0, 10);
    expect(kinds(events)).toEqual(['trip_start']);
    wait(DEFAULTS.tripEndStationaryS + 5);
    expect(kinds(events)).toEqual(['trip_start', 'trip_end']);
  });

  it('picks up a trip after a quick restart, and ends one left open by a long one', () => {
    const first = setup();
    first.deriver.ignition(true, T0);
    first.drive(0, 50, 10);
    first.drive(50, 50, 60);
    const snapshot = first.deriver.snapshot(first.now());
    expect(snapshot.trip).not.toBeNull();

    const quick = setup();
    quick.deriver.restore(snapshot, first.now() + 20_000);
    quick.at(first.now() + 20_000);
    quick.deriver.ignition(true, quick.now());
    quick.drive(50, 50, 10);
    quick.deriver.ignition(false, quick.now());
    expect(kinds(quick.events)).toEqual(['trip_end']);
    expect(quick.events[0]?.durationS).toBeGreaterThan(80);

    const late = setup();
    late.deriver.restore(snapshot, first.now() + 3_600_000);
    expect(kinds(late.events)).toEqual(['trip_end']);
    expect(late.events[0]?.t).toBe(snapshot.trip?.lastT);
  });
});

describe('DrivingDeriver: idling', () => {
  it('reports idling that lasts past the threshold, from when it began, and how long it lasted', () => {
    const { events, deriver, drive, wait, now } = setup();
    deriver.ignition(true, T0);
    deriver.rpm(780, T0);
    drive(0, 30, 10);
    drive(30, 0, 10);
    const stopped = now();
    for (let i = 0; i < 150; i += 1) {
      wait(1);
      deriver.rpm(780, now());
    }
    expect(kinds(events)).toEqual(['trip_start', 'idle_start']);
    const idleStart = events[1];
    expect(Math.abs((idleStart?.t ?? 0) - stopped)).toBeLessThanOrEqual(1000);
    drive(0, 20, 5);
    expect(kinds(events)).toEqual(['trip_start', 'idle_start', 'idle_end']);
    expect(events[2]?.durationS).toBeGreaterThan(149);
    expect(events[2]?.durationS).toBeLessThan(153);
  });

  it('does not count a stop shorter than the threshold, an engine that is off, or a GPS-only vehicle', () => {
    const short = setup();
    short.deriver.ignition(true, T0);
    short.wait(DEFAULTS.idleAfterS - 5);
    short.drive(0, 20, 5);
    expect(kinds(short.events)).not.toContain('idle_start');

    const engineOff = setup();
    engineOff.deriver.ignition(true, T0);
    engineOff.deriver.rpm(0, T0);
    for (let i = 0; i < 200; i += 1) {
      engineOff.wait(1);
      engineOff.deriver.rpm(0, engineOff.now());
    }
    expect(engineOff.events).toEqual([]);

    const gpsOnly = setup();
    gpsOnly.wait(600);
    expect(gpsOnly.events).toEqual([]);
  });
});

describe('DrivingDeriver: harsh events', () => {
  it('reports one harsh braking per episode, at its start, with its peak', () => {
    const { events, deriver, drive } = setup();
    deriver.ignition(true, T0);
    drive(0, 50, 20);
    drive(50, 50, 10);
    drive(50, 0, 2); // 6.9 m/s²
    drive(0, 0, 5);
    const harsh = events.filter((e) => e.event === 'harsh_braking');
    expect(harsh).toHaveLength(1);
    expect(harsh[0]?.accelMs2).toBeLessThan(-6.5);
    expect(harsh[0]?.accelMs2).toBeGreaterThan(-7.2);
    expect(harsh[0]?.speedKmh).toBeGreaterThan(40);
    expect(harsh[0]?.lat).toBeTypeOf('number');
  });

  it('reports a harsh acceleration and ignores ordinary town driving', () => {
    const harsh = setup();
    harsh.deriver.ignition(true, T0);
    harsh.drive(0, 36, 2); // 5 m/s²
    harsh.drive(36, 36, 5);
    expect(kinds(harsh.events)).toContain('harsh_acceleration');

    // The simulator's town driver: 2.5 m/s² up, 3.5 m/s² down.
    const calm = setup();
    calm.deriver.ignition(true, T0);
    calm.drive(0, 50, 50 / 3.6 / 2.5);
    calm.drive(50, 50, 10);
    calm.drive(50, 0, 50 / 3.6 / 3.5);
    calm.drive(0, 0, 5);
    expect(kinds(calm.events).filter((k) => k.startsWith('harsh'))).toEqual([]);
  });

  it('uses OBD speed when GPS is silent and never differences one source against the other', () => {
    const { events, deriver, drive } = setup();
    deriver.ignition(true, T0);
    drive(0, 50, 20, 10, 'gps');
    // OBD reads 45 km/h while GPS says 50: ignored while GPS is fresh.
    drive(45, 45, 1, 1, 'obd');
    expect(kinds(events).filter((k) => k.startsWith('harsh'))).toEqual([]);
    // GPS gone (a tunnel): OBD takes over, braking hard at 1 Hz.
    drive(45, 45, 3, 1, 'obd');
    drive(45, 0, 3, 1, 'obd'); // 4.2 m/s²
    drive(0, 0, 3, 1, 'obd');
    const harsh = events.filter((e) => e.event === 'harsh_braking');
    expect(harsh).toHaveLength(1);
    expect(harsh[0]?.accelMs2).toBeCloseTo(-4.17, 1);
    expect(deriver.state().speedSource).toBe('obd');
  });
});
