import type {
  FeedCursor,
  FleetSnapshotMessage,
  VehicleSnapshot,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';
import type { ConsoleServices } from '../app/context';

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

/** One fleet, City, with a limit of 50 km/h. */
export const fleets = [{ id: 1, name: 'City', overspeedLimitKmh: 50 }];

/** Puts a fleet (City, limit 50 km/h) with these vehicles into the console's store, as a snapshot would. */
export function loadFleet(
  services: ConsoleServices,
  vehicles: FleetSnapshotMessage['vehicles'],
): void {
  services.stores.fleet
    .getState()
    .applySnapshot(
      { cursor: cursor(1), full: true, fleets, vehicles, serverTime: Date.now() },
      Date.now(),
    );
}

/** Van 01 (with a driver), Van 02 (offline) and Truck 1 (no position yet). */
export const three = () => [
  vehicleSnapshot({ id: 1, name: 'Van 01', driver: { id: 5, name: 'Jörg Müller' } }),
  vehicleSnapshot({ id: 2, name: 'Van 02', online: false }),
  vehicleSnapshot({ id: 3, name: 'Truck 1', plate: 'M-XY 300', position: null }),
];
