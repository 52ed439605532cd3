import { useMemo, useRef } from 'react';
import type { AlarmVehicle } from '../stores/events-store';
import { useConsole, useSlice } from './context';
import type { ConsoleStores } from './context';

/** How the alarm dock, the event log and notifications name an event's vehicle. */
export type NameVehicle = (vehicleId: number) => AlarmVehicle;

/**
 * Names a vehicle as the console holds it now or, once the fleet picker
 * narrowed the view away from it, as it last held it while one of its
 * alarms was open. A vehicle known neither way says so: "Vehicle 17" would
 * read like a name.
 */
export function vehicleNamer({
  fleet,
  events,
}: Pick<ConsoleStores, 'fleet' | 'events'>): NameVehicle {
  const held = fleet.getState().vehicles;
  const lastHeld = events.getState().alarmVehicles;
  return (vehicleId) => {
    const vehicle = held.get(vehicleId) ?? lastHeld.get(vehicleId);
    return vehicle
      ? { name: vehicle.name, plate: vehicle.plate }
      : { name: `Unknown vehicle (id ${vehicleId})`, plate: null };
  };
}

/**
 * `vehicleNamer` for a component: a new one (and a render) only when a name
 * or plate held changed or the alarms' last known ones did, not for every
 * vehicle that starts or stops moving, so a long event log is not rendered
 * again for those.
 */
export function useVehicleNamer(): NameVehicle {
  const { stores } = useConsole();
  // Moves for membership and renames (and states, which change no name).
  const listRevision = useSlice(stores.fleet, (s) => s.listRevision);
  const alarmVehicles = useSlice(stores.events, (s) => s.alarmVehicles);
  const heldNames = useRef<ReadonlyMap<number, string>>(new Map());
  const names = useMemo(() => {
    const next = new Map<number, string>();
    for (const [id, v] of stores.fleet.getState().vehicles) next.set(id, `${v.name}\n${v.plate}`);
    const previous = heldNames.current;
    const same =
      next.size === previous.size && [...next].every(([id, n]) => previous.get(id) === n);
    if (!same) heldNames.current = next;
    return heldNames.current;
  }, [stores, listRevision]);
  return useMemo(() => vehicleNamer(stores), [stores, names, alarmVehicles]);
}
