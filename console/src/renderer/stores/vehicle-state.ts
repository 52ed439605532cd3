import type { VehicleSnapshot } from '@fleetline/protocol';

/** How the console classifies a vehicle at a glance: its colour on the map and in lists. */
export const VEHICLE_STATES = ['moving', 'idle', 'offline', 'alarm'] as const;
export type VehicleState = (typeof VEHICLE_STATES)[number];

/** Below this a vehicle counts as standing (GPS speed jitters around zero). */
export const MOVING_MIN_KMH = 3;

/**
 * Offline wins (nothing it reports is current); then alarm: speeding now,
 * or the engine reporting confirmed trouble codes (stored or permanent;
 * pending ones are not yet confirmed); then moving or idle by speed.
 */
export function classifyVehicle(
  v: Pick<VehicleSnapshot, 'online' | 'overspeed' | 'dtcs' | 'position'>,
): VehicleState {
  if (!v.online) return 'offline';
  if (v.overspeed) return 'alarm';
  if (v.dtcs.some((d) => d.kind !== 'pending' && d.codes.length > 0)) return 'alarm';
  return isMoving(v) ? 'moving' : 'idle';
}

/** Going faster than standing, by its last position (in alarm or not). */
export function isMoving(v: Pick<VehicleSnapshot, 'position'>): boolean {
  return (v.position?.speedKmh ?? 0) >= MOVING_MIN_KMH;
}

export const STATE_LABELS: Record<VehicleState, string> = {
  moving: 'Moving',
  idle: 'Idle',
  offline: 'Offline',
  alarm: 'Alarm',
};

/**
 * Vehicles report about once a second: silent for ten of those intervals,
 * what a vehicle last said (speed, ignition, fix) is no longer "now", even
 * before the server declares it offline.
 */
export const SILENT_AFTER_MS = 10_000;

type Reporting = Pick<VehicleSnapshot, 'online' | 'lastSeenAt' | 'position' | 'status'>;

/** When the vehicle last reported anything (the newest of what the server has from it). */
export function lastReportAt(v: Omit<Reporting, 'online'>): number | null {
  const times = [v.lastSeenAt, v.position?.t, v.status?.t].filter(
    (t): t is number => typeof t === 'number',
  );
  return times.length ? Math.max(...times) : null;
}

/** Offline, or silent for longer than SILENT_AFTER_MS: its values are the last known, not live. */
export function isLastKnown(v: Reporting, now: number): boolean {
  const last = lastReportAt(v);
  return !v.online || last === null || now - last > SILENT_AFTER_MS;
}
