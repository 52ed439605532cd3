import { describe, expect, it } from 'vitest';
import type { TelemetrySample } from '@fleetline/protocol';
import {
  OVERSPEED_HYSTERESIS_KMH,
  detect,
  detectOffline,
  stepOverspeed,
} from './event-detector.js';
import { emptyVehicleState } from './vehicle-state.js';
import type { LiveVehicleState } from './vehicle-state.js';

const ctx = { vehicleId: 7, limitKmh: 90, overspeedMinMs: 0, now: 1_000_000 };
let seq = 0;
const fix = (t: number, speedKmh: number | null): TelemetrySample => ({
  kind: 'position',
  seq: ++seq,
  t,
  lat: 1,
  lon: 2,
  speedKmh,
  fixQuality: 'gps',
});
const status = (
  t: number,
  ignition: boolean | null,
  batteryV: number | null = null,
): TelemetrySample => ({
  kind: 'status',
  seq: ++seq,
  t,
  ignition,
  batteryV,
});
const dtc = (t: number, codes: string[]): TelemetrySample => ({
  kind: 'dtc',
  seq: ++seq,
  t,
  dtcKind: 'stored',
  codes,
});

function run(
  samples: TelemetrySample[],
  state: LiveVehicleState = emptyVehicleState(),
  overrides = {},
) {
  return detect(state, null, samples, { ...ctx, ...overrides });
}

describe('overspeed', () => {
  it('starts once when speed passes the limit and re-arms only below the hysteresis band', () => {
    const speeds = [80, 91, 120, 88, 86, 95, 84, 92];
    const result = run(speeds.map((v, i) => fix(1000 * i, v)));
    const starts = result.events.filter((e) => e.type === 'overspeed');
    // 91 starts; 120, 88, 86 and 95 are the same overspeed (86 > 90 - 5); 84 ends it; 92 starts anew.
    expect(starts.map((e) => e.t)).toEqual([1000, 7000]);
    expect(starts[0]).toMatchObject({
      late: false,
      data: { speedKmh: 91, limitKmh: 90, lat: 1, lon: 2 },
    });
    expect(result.state.overspeed).toBe(true);
    expect(OVERSPEED_HYSTERESIS_KMH).toBe(5);
  });

  it('needs the speed to stay above the limit for the minimum duration', () => {
    const blip = run([fix(0, 95), fix(1000, 80), fix(2000, 96), fix(3000, 97)], undefined, {
      overspeedMinMs: 3000,
    });
    expect(blip.events.filter((e) => e.type === 'overspeed')).toEqual([]);
    expect(blip.state.overspeedSince).toBe(2000);
    const sustained = run([fix(0, 95), fix(1500, 96), fix(3000, 97)], undefined, {
      overspeedMinMs: 3000,
    });
    expect(sustained.events.filter((e) => e.type === 'overspeed').map((e) => e.t)).toEqual([3000]);
  });

  it('ignores fixes without speed and vehicles without a limit', () => {
    expect(stepOverspeed({ overspeed: false, since: null }, null, 0, 90, 0).starts).toBe(false);
    expect(
      run([fix(0, 200)], undefined, { limitKmh: null }).events.some((e) => e.type === 'overspeed'),
    ).toBe(false);
  });
});

describe('ignition', () => {
  it('reports transitions, not repeats, and not the first state it learns', () => {
    const result = run([
      status(0, true),
      status(1, true),
      status(2, false),
      status(3, null, 12.1),
      status(4, true),
    ]);
    expect(
      result.events.filter((e) => e.type.startsWith('ignition')).map((e) => [e.type, e.t]),
    ).toEqual([
      ['ignition_off', 2],
      ['ignition_on', 4],
    ]);
    // A status without ignition keeps the last known one and updates the battery.
    expect(result.state.status).toMatchObject({ t: 4, ignition: true, batteryV: 12.1 });
  });
});

describe('trouble codes', () => {
  it('reports each code once when it appears, and again if it comes back after clearing', () => {
    const result = run([
      dtc(0, ['P0301']),
      dtc(1, ['P0301', 'P0420']),
      dtc(2, []),
      dtc(3, ['P0301']),
    ]);
    expect(
      result.events
        .filter((e) => e.type === 'dtc_new')
        .map((e) => [e.t, e.type === 'dtc_new' && e.data.code]),
    ).toEqual([
      [0, 'P0301'],
      [1, 'P0420'],
      [3, 'P0301'],
    ]);
    expect(result.state.dtcs.get('stored')).toEqual({ kind: 'stored', t: 3, codes: ['P0301'] });
  });
});

describe('late samples (a backlog drained after an outage)', () => {
  it('never move the live state backwards but still produce events, marked late', () => {
    const live = run([fix(100_000, 50), status(100_000, true)]);
    const backlog = detect(
      live.state,
      live.backfill,
      [fix(10_000, 60), fix(11_000, 130), status(12_000, false), status(13_000, true)],
      ctx,
    );
    expect(backlog.state.position?.t).toBe(100_000);
    expect(backlog.state.status?.ignition).toBe(true);
    expect(
      backlog.events.filter((e) => e.type !== 'device_online').map((e) => [e.type, e.t, e.late]),
    ).toEqual([
      ['overspeed', 11_000, true],
      ['ignition_on', 13_000, true],
    ]);
    expect(backlog.changed.has('position')).toBe(false);
  });

  it('keeps the backlog stream state across ticks so an ongoing late overspeed is not reported twice', () => {
    const live = run([fix(100_000, 50)]);
    const first = detect(live.state, live.backfill, [fix(10_000, 95)], ctx);
    const second = detect(first.state, first.backfill, [fix(11_000, 99)], ctx);
    expect(first.events.filter((e) => e.type === 'overspeed')).toHaveLength(1);
    expect(second.events.filter((e) => e.type === 'overspeed')).toHaveLength(0);
  });

  it('does not report a late trouble code the vehicle reports live already', () => {
    const live = run([dtc(100_000, ['P0301'])]);
    const late = detect(live.state, live.backfill, [dtc(50_000, ['P0301', 'P0171'])], ctx);
    expect(
      late.events
        .filter((e) => e.type === 'dtc_new')
        .map((e) => e.type === 'dtc_new' && e.data.code),
    ).toEqual(['P0171']);
  });

  it('ignores a late reading for the live panel', () => {
    const reading = (t: number, value: number): TelemetrySample => ({
      kind: 'reading',
      seq: ++seq,
      t,
      pid: 5,
      part: 0,
      value,
      unit: '°C',
    });
    const live = run([reading(100, 90)]);
    const late = detect(live.state, null, [reading(50, 70)], ctx);
    expect(late.state.readings.get('5.0')?.value).toBe(90);
  });
});

describe('driving events from the companion', () => {
  const driving = (t: number): TelemetrySample => ({
    kind: 'driving',
    seq: ++seq,
    t,
    event: 'trip_start',
    speedKmh: 12,
  });

  it('are live when stamped a moment before fixes already sent, and late when well behind', () => {
    const live = run([fix(100_000, 40)]);
    const moments = detect(live.state, live.backfill, [driving(98_000)], ctx);
    expect(moments.events.find((e) => e.type === 'trip_start')).toMatchObject({
      t: 98_000,
      late: false,
      data: { speedKmh: 12 },
    });
    const backlog = detect(live.state, live.backfill, [driving(10_000)], ctx);
    expect(backlog.events.find((e) => e.type === 'trip_start')?.late).toBe(true);
  });
});

describe('presence', () => {
  it('comes online with data and goes offline after silence', () => {
    const online = run([fix(0, 10)]);
    expect(online.events.map((e) => e.type)).toEqual(['device_online']);
    expect(online.state).toMatchObject({ online: true, lastSeenAt: ctx.now });
    expect(detectOffline(online.state, 7, ctx.now + 59_999, 60_000)).toBeNull();
    const offline = detectOffline(online.state, 7, ctx.now + 60_000, 60_000);
    expect(offline?.event).toEqual({
      vehicleId: 7,
      type: 'device_offline',
      t: ctx.now + 60_000,
      late: false,
      data: { lastSeenAt: ctx.now },
    });
    expect(offline?.state.online).toBe(false);
    expect(detectOffline(offline!.state, 7, ctx.now + 999_999, 60_000)).toBeNull();
  });

  it('says whether coming online is the first report ever, or when the vehicle was last heard', () => {
    const first = run([fix(0, 10)]);
    expect(first.events[0]).toMatchObject({
      type: 'device_online',
      data: { previousSeenAt: null },
    });
    const offline = detectOffline(first.state, 7, ctx.now + 60_000, 60_000);
    const again = run([fix(0, 10)], offline!.state, { now: ctx.now + 300_000 });
    expect(again.events[0]).toMatchObject({
      type: 'device_online',
      t: ctx.now + 300_000,
      data: { previousSeenAt: ctx.now },
    });
  });
});
