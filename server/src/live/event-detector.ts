import type {
  DtcKind,
  DtcState,
  NewFleetEvent,
  ReadingState,
  TelemetrySample,
} from '@fleetline/protocol';
import { positionState, readingKey } from './vehicle-state.js';
import type { LiveVehicleState, Section } from './vehicle-state.js';

/** Speed must fall this far under the limit before a new overspeed can start. */
export const OVERSPEED_HYSTERESIS_KMH = 5;
/** A late sample this much older than the backlog's last one starts a new backlog stream. */
const BACKFILL_RESTART_MS = 60_000;

/**
 * Detector state for samples older than the live state (a backlog drained
 * after an outage). Kept apart so that old data neither moves the live
 * picture backwards nor is silently ignored: it still yields events, marked late.
 */
export interface BackfillState {
  lastT: number;
  overspeed: boolean;
  overspeedSince: number | null;
  ignition: boolean | null;
  dtcs: Partial<Record<DtcKind, readonly string[]>>;
}

export interface DetectionContext {
  vehicleId: number;
  /** Strictest limit of the vehicle's fleets; null disables overspeed detection. */
  limitKmh: number | null;
  /** How long speed must stay above the limit before it is an overspeed. */
  overspeedMinMs: number;
  /** Server time of this tick. */
  now: number;
}

export interface Detection {
  state: LiveVehicleState;
  backfill: BackfillState | null;
  events: NewFleetEvent[];
  changed: Set<Section>;
}

interface OverspeedRun {
  overspeed: boolean;
  since: number | null;
}

/** One fix through the overspeed state machine: returns the new run and whether an overspeed starts. */
export function stepOverspeed(
  run: OverspeedRun,
  speedKmh: number | null | undefined,
  t: number,
  limitKmh: number | null,
  minMs: number,
): { run: OverspeedRun; starts: boolean } {
  if (limitKmh === null || speedKmh === null || speedKmh === undefined)
    return { run, starts: false };
  if (speedKmh > limitKmh) {
    const since = run.since ?? t;
    const starts = !run.overspeed && t - since >= minMs;
    return { run: { overspeed: run.overspeed || starts, since }, starts };
  }
  if (speedKmh <= limitKmh - OVERSPEED_HYSTERESIS_KMH)
    return { run: { overspeed: false, since: null }, starts: false };
  // Between the limit and the hysteresis band: an overspeed goes on, a run not yet confirmed is broken.
  return { run: run.overspeed ? run : { overspeed: false, since: null }, starts: false };
}

/**
 * Applies one vehicle's newly stored samples, sorted by time then sequence,
 * to its state. Pure: returns the new state, the events and what changed.
 */
export function detect(
  prev: LiveVehicleState,
  prevBackfill: BackfillState | null,
  samples: readonly TelemetrySample[],
  ctx: DetectionContext,
): Detection {
  const events: NewFleetEvent[] = [];
  const changed = new Set<Section>();
  // Copied on first write: most ticks change one or two readings, or none.
  let readings = prev.readings as Map<string, ReadingState>;
  let dtcs = prev.dtcs as Map<DtcKind, DtcState>;
  let readingsCopied = false;
  let dtcsCopied = false;
  const writableReadings = () =>
    readingsCopied ? readings : ((readingsCopied = true), (readings = new Map(readings)));
  const writableDtcs = () => (dtcsCopied ? dtcs : ((dtcsCopied = true), (dtcs = new Map(dtcs))));
  let { position, status, overspeed, overspeedSince } = prev;
  let backfill = prevBackfill;
  const base = { vehicleId: ctx.vehicleId };

  const lateStream = (t: number): BackfillState => {
    if (!backfill || t < backfill.lastT - BACKFILL_RESTART_MS) {
      backfill = { lastT: t, overspeed: false, overspeedSince: null, ignition: null, dtcs: {} };
    }
    backfill = { ...backfill, lastT: Math.max(backfill.lastT, t) };
    return backfill;
  };

  // What the vehicle's timeline had reached before this tick. A companion
  // stamps a driving event when it happened (a trip starts when speed rose),
  // often a moment before fixes it has already sent: only events well behind
  // the timeline come from a backlog.
  const reached = Math.max(prev.position?.t ?? 0, prev.status?.t ?? 0);

  for (const s of samples) {
    switch (s.kind) {
      case 'driving': {
        events.push({
          ...base,
          type: s.event,
          t: s.t,
          late: s.t < reached - BACKFILL_RESTART_MS,
          data: {
            lat: s.lat ?? null,
            lon: s.lon ?? null,
            speedKmh: s.speedKmh ?? null,
            accelMs2: s.accelMs2 ?? null,
            durationS: s.durationS ?? null,
            distanceKm: s.distanceKm ?? null,
          },
        });
        break;
      }
      case 'position': {
        const late = position !== null && s.t < position.t;
        const runBefore = late ? lateStream(s.t) : { overspeed, overspeedSince };
        const stepped = stepOverspeed(
          { overspeed: runBefore.overspeed, since: runBefore.overspeedSince },
          s.speedKmh,
          s.t,
          ctx.limitKmh,
          ctx.overspeedMinMs,
        );
        if (stepped.starts && ctx.limitKmh !== null) {
          events.push({
            ...base,
            type: 'overspeed',
            t: s.t,
            late,
            data: { speedKmh: s.speedKmh ?? 0, limitKmh: ctx.limitKmh, lat: s.lat, lon: s.lon },
          });
        }
        if (late) {
          backfill = {
            ...lateStream(s.t),
            overspeed: stepped.run.overspeed,
            overspeedSince: stepped.run.since,
          };
        } else {
          if (stepped.run.overspeed !== overspeed) changed.add('overspeed');
          overspeed = stepped.run.overspeed;
          overspeedSince = stepped.run.since;
          position = positionState(s);
          changed.add('position');
        }
        break;
      }
      case 'status': {
        const late = status !== null && s.t < status.t;
        const before = late ? lateStream(s.t).ignition : (status?.ignition ?? null);
        const ignition = s.ignition ?? null;
        if (ignition !== null && before !== null && ignition !== before) {
          events.push({
            ...base,
            type: ignition ? 'ignition_on' : 'ignition_off',
            t: s.t,
            late,
            data: {},
          });
        }
        if (late) {
          if (ignition !== null) backfill = { ...lateStream(s.t), ignition };
        } else {
          status = {
            t: s.t,
            batteryV: s.batteryV ?? status?.batteryV ?? null,
            ignition: ignition ?? status?.ignition ?? null,
            gpsFix: s.gpsFix ?? status?.gpsFix ?? null,
            obdLink: s.obdLink ?? status?.obdLink ?? null,
            gpsReceiver: s.gpsReceiver ?? status?.gpsReceiver ?? null,
            backlog: s.backlog ?? status?.backlog ?? null,
          };
          changed.add('status');
        }
        break;
      }
      case 'reading': {
        const key = readingKey(s.pid, s.part);
        const current = readings.get(key);
        // Late readings are stored for history; the live panel only moves forward.
        if (current && s.t < current.t) break;
        writableReadings().set(key, {
          pid: s.pid,
          part: s.part,
          t: s.t,
          value: s.value,
          unit: s.unit,
        });
        changed.add(`reading:${key}`);
        break;
      }
      case 'dtc': {
        const current = dtcs.get(s.dtcKind);
        const late = current !== undefined && s.t < current.t;
        const known = new Set(
          late ? (lateStream(s.t).dtcs[s.dtcKind] ?? current.codes) : (current?.codes ?? []),
        );
        if (late) for (const code of current.codes) known.add(code);
        for (const code of new Set(s.codes)) {
          if (!known.has(code))
            events.push({
              ...base,
              type: 'dtc_new',
              t: s.t,
              late,
              data: { code, dtcKind: s.dtcKind },
            });
        }
        if (late) {
          const stream = lateStream(s.t);
          backfill = { ...stream, dtcs: { ...stream.dtcs, [s.dtcKind]: s.codes } };
        } else {
          writableDtcs().set(s.dtcKind, {
            kind: s.dtcKind,
            t: s.t,
            codes: [...new Set(s.codes)].sort(),
          });
          changed.add(`dtc:${s.dtcKind}`);
        }
        break;
      }
    }
  }

  let online = prev.online;
  let lastSeenAt = prev.lastSeenAt;
  if (samples.length > 0) {
    if (!online) {
      const data = { previousSeenAt: prev.lastSeenAt };
      events.push({ ...base, type: 'device_online', t: ctx.now, late: false, data });
    }
    online = true;
    lastSeenAt = ctx.now;
    changed.add('presence');
  }

  return {
    state: { online, lastSeenAt, overspeed, overspeedSince, position, status, readings, dtcs },
    backfill,
    events,
    changed,
  };
}

/** The offline rule: a vehicle that sent nothing for `offlineAfterMs` goes offline. */
export function detectOffline(
  prev: LiveVehicleState,
  vehicleId: number,
  now: number,
  offlineAfterMs: number,
): { state: LiveVehicleState; event: NewFleetEvent } | null {
  if (!prev.online || prev.lastSeenAt === null || now - prev.lastSeenAt < offlineAfterMs)
    return null;
  return {
    state: { ...prev, online: false, overspeed: false, overspeedSince: null },
    event: {
      vehicleId,
      type: 'device_offline',
      t: now,
      late: false,
      data: { lastSeenAt: prev.lastSeenAt },
    },
  };
}
