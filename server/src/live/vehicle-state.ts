import type {
  DtcKind,
  DtcState,
  PositionSample,
  PositionState,
  ReadingState,
  StatusState,
} from '@fleetline/protocol';

/** What the server knows of a vehicle right now: the basis of snapshots and of event detection. */
export interface LiveVehicleState {
  online: boolean;
  /** Receipt time of the last sample, server clock. */
  lastSeenAt: number | null;
  overspeed: boolean;
  /** Time of the first fix of the current run above the limit; null when at or under it. */
  overspeedSince: number | null;
  position: PositionState | null;
  status: StatusState | null;
  /** Latest reading per `pid.part`. */
  readings: ReadonlyMap<string, ReadingState>;
  /** Latest code set per kind. */
  dtcs: ReadonlyMap<DtcKind, DtcState>;
}

export const emptyVehicleState = (): LiveVehicleState => ({
  online: false,
  lastSeenAt: null,
  overspeed: false,
  overspeedSince: null,
  position: null,
  status: null,
  readings: new Map(),
  dtcs: new Map(),
});

export const readingKey = (pid: number, part: number): string => `${pid}.${part}`;

export function positionState(s: PositionSample): PositionState {
  return {
    t: s.t,
    lat: s.lat,
    lon: s.lon,
    speedKmh: s.speedKmh ?? null,
    headingDeg: s.headingDeg ?? null,
    altitudeM: s.altitudeM ?? null,
    hdop: s.hdop ?? null,
    satellites: s.satellites ?? null,
    fixQuality: s.fixQuality,
  };
}

/**
 * Names of the independently versioned parts of a vehicle's state. A console
 * update carries only the sections that changed since that console's last one.
 */
export type Section =
  | 'details'
  | 'presence'
  | 'overspeed'
  | 'position'
  | 'status'
  | `reading:${string}`
  | `dtc:${DtcKind}`;
