import type { FeedCursor, VehicleSnapshot, VehicleUpdatesMessage } from '@fleetline/protocol';

/** A complete vehicle snapshot for tests, moving at 40 km/h in Berlin unless told otherwise. */
export function vehicleSnapshot(
  overrides: Partial<VehicleSnapshot> & { id: number },
): VehicleSnapshot {
  return {
    name: `Van ${overrides.id}`,
    plate: `B-FL ${overrides.id}`,
    vin: null,
    fleetIds: [1],
    deviceId: overrides.id,
    driver: null,
    online: true,
    lastSeenAt: 1_000,
    overspeed: false,
    position: {
      t: 1_000,
      lat: 52.52,
      lon: 13.405,
      speedKmh: 40,
      headingDeg: 90,
      altitudeM: 30,
      hdop: 0.9,
      satellites: 9,
      fixQuality: 'gps',
    },
    status: { t: 1_000, batteryV: 14.1, ignition: true, gpsFix: 'gps' },
    readings: [],
    dtcs: [],
    rev: 1,
    ...overrides,
  };
}

export const cursor = (rev: number, epoch = 'e1'): FeedCursor => ({ epoch, rev });

export function updates(
  rev: number,
  list: VehicleUpdatesMessage['updates'],
  extra: Partial<VehicleUpdatesMessage> = {},
): VehicleUpdatesMessage {
  return { cursor: cursor(rev), updates: list, ...extra };
}

export function position(t: number, lon: number, lat = 52.52, speedKmh = 40) {
  return {
    t,
    lat,
    lon,
    speedKmh,
    headingDeg: 90,
    altitudeM: 30,
    hdop: 0.9,
    satellites: 9,
    fixQuality: 'gps' as const,
  };
}
