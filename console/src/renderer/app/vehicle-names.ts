import { useMemo } from 'react';
import type { VehicleName } from '../stores/fleet-store';
import { useConsole, useSlice } from './context';
import type { ConsoleStores } from './context';

/** How the alarm dock, the event log and notifications name an event's vehicle. */
export type NameVehicle = (vehicleId: number) => VehicleName;

/**
 * Names a vehicle as the console holds it now or, once it is not held (the
 * fleet picker narrowed the view away from it), as the console last held it
 * this session. A vehicle never held says so: "Vehicle 17" would read like a
 * name.
 */
export function vehicleNamer({ fleet }: Pick<ConsoleStores, 'fleet'>): NameVehicle {
  const { vehicles, vehicleNames } = fleet.getState();
  return (vehicleId) => {
    // The held record first: the session's names are forgotten when it
    // ends, while a stored picture may still be held.
    const vehicle = vehicles.get(vehicleId) ?? vehicleNames.get(vehicleId);
    return vehicle
      ? { name: vehicle.name, plate: vehicle.plate }
      : { name: `Unknown vehicle (id ${vehicleId})`, plate: null };
  };
}

/**
 * `vehicleNamer` for a component: a new one (and a render) only when a name
 * or plate the console holds changed, not for every vehicle that starts or
 * stops moving, so a long event log is not rendered again for those.
 */
export function useVehicleNamer(): NameVehicle {
  const { stores } = useConsole();
  const namesRevision = useSlice(stores.fleet, (s) => s.namesRevision);
  return useMemo(() => vehicleNamer(stores), [stores, namesRevision]);
}
