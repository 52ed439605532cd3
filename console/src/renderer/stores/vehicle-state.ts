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
  return (v.position?.speedKmh ?? 0) >= MOVING_MIN_KMH ? 'moving' : 'idle';
}

export const STATE_LABELS: Record<VehicleState, string> = {
  moving: 'Moving',
  idle: 'Idle',
  offline: 'Offline',
  alarm: 'Alarm',
};
