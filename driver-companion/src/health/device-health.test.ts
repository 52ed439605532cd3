import { GPS_RECEIVER_STATES, OBD_LINK_STATES, TelemetrySampleSchema } from '@fleetline/protocol';
import { describe, expect, it } from 'vitest';
import type { GpsState } from '../devices/gps-supervisor.js';
import type { ObdState } from '../devices/obd-supervisor.js';
import type { SampleDraft } from '../outbox/samples.js';
import { DeviceHealthReporter, gpsReceiverOf, obdLinkOf } from './device-health.js';
import type { DeviceHealth } from './device-health.js';

const OBD_STATES: ObdState[] = [
  'disabled',
  'connecting',
  'initializing',
  'ignition_off',
  'polling',
  'backoff',
  'stopped',
];
const GPS_STATES: GpsState[] = [
  'disabled',
  'connecting',
  'waiting_for_data',
  'fix',
  'no_fix',
  'silent',
  'backoff',
  'stopped',
];

describe('device health on the wire', () => {
  it('maps every supervisor state to a wire state, and only stopping to none', () => {
    expect(OBD_STATES.map(obdLinkOf)).toEqual([
      'disabled',
      'connecting',
      'connecting',
      'ignition_off',
      'polling',
      'unreachable',
      null,
    ]);
    expect(GPS_STATES.map(gpsReceiverOf)).toEqual([
      'disabled',
      'connecting',
      'connecting',
      'fix',
      'no_fix',
      'silent',
      'unreachable',
      null,
    ]);
    // Every wire value is reachable from some supervisor state.
    expect(new Set(OBD_STATES.map(obdLinkOf).filter(Boolean))).toEqual(new Set(OBD_LINK_STATES));
    expect(new Set(GPS_STATES.map(gpsReceiverOf).filter(Boolean))).toEqual(
      new Set(GPS_RECEIVER_STATES),
    );
  });

  function rig(initial: DeviceHealth) {
    let now = 1_800_000_000_000;
    let mono = 0;
    let health = initial;
    const pushed: SampleDraft[] = [];
    const reporter = new DeviceHealthReporter({
      read: () => health,
      push: (d) => pushed.push(d),
      now: () => now,
      monotonic: () => mono,
      everyMs: 60_000,
      minGapMs: 10_000,
    });
    return {
      reporter,
      pushed,
      set: (h: Partial<DeviceHealth>) => {
        health = { ...health, ...h };
      },
      advance: (ms: number) => {
        for (let i = 0; i < ms / 1000; i++) {
          now += 1000;
          mono += 1000;
          reporter.tick();
        }
      },
      /** The sample clock jumps (the time source switched to GPS time); the schedule does not. */
      jump: (ms: number) => {
        now += ms;
      },
      tick: () => reporter.tick(),
    };
  }

  it('reports at once, on a change no sooner than the gap, and every minute otherwise', () => {
    const r = rig({ obdLink: 'connecting', gpsReceiver: 'connecting', backlog: 0 });
    r.tick();
    expect(r.pushed).toHaveLength(1);
    // Every report is a valid status sample.
    for (const d of r.pushed)
      expect(TelemetrySampleSchema.parse({ ...d, seq: 1 }).kind).toBe('status');
    expect(r.pushed[0]).toMatchObject({
      kind: 'status',
      obdLink: 'connecting',
      gpsReceiver: 'connecting',
      backlog: 0,
    });

    // A change 3 s later waits for the 10 s gap, then the latest state goes out.
    r.advance(3000);
    r.set({ obdLink: 'unreachable' });
    r.advance(1000);
    r.set({ obdLink: 'connecting' });
    r.advance(1000);
    r.set({ obdLink: 'polling', gpsReceiver: 'fix', backlog: 12 });
    r.advance(4000);
    expect(r.pushed).toHaveLength(1);
    r.advance(1000);
    expect(r.pushed).toHaveLength(2);
    expect(r.pushed[1]).toMatchObject({ obdLink: 'polling', gpsReceiver: 'fix', backlog: 12 });

    // Nothing changes: the next report comes a minute later, with the backlog then.
    r.set({ backlog: 40 });
    r.advance(59_000);
    expect(r.pushed).toHaveLength(2);
    r.advance(1000);
    expect(r.pushed).toHaveLength(3);
    expect(r.pushed[2]).toMatchObject({ backlog: 40 });
  });

  it('keeps its schedule when the sample clock jumps back, and stamps reports with sample time', () => {
    const r = rig({ obdLink: 'polling', gpsReceiver: 'no_fix', backlog: 0 });
    r.tick();
    r.advance(5000);
    // The system clock was an hour ahead; a fix brings GPS time.
    r.jump(-3_600_000);
    r.set({ gpsReceiver: 'fix' });
    r.advance(5000);
    expect(r.pushed).toHaveLength(2);
    expect(r.pushed[1]!.t).toBe(r.pushed[0]!.t + 10_000 - 3_600_000);
    r.advance(60_000);
    expect(r.pushed).toHaveLength(3);
  });

  it('says nothing while the supervisors stop', () => {
    const r = rig({ obdLink: null, gpsReceiver: 'fix', backlog: 3 });
    r.advance(120_000);
    expect(r.pushed).toHaveLength(0);
  });
});
