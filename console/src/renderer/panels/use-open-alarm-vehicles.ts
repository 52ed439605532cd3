import { useMemo } from 'react';
import { useConsole, useSlice } from '../app/context';

/**
 * The vehicles with an open alarm, as the dock counts them (every one, as
 * alarms stay until acknowledged whatever the view), and how many of them
 * this console holds now (what the "Open alarms" chip counts and shows).
 * After the fleet picker narrows the view the two differ; `view` names it
 * for the line that says so: the fleet picked, or "this view".
 */
export function useOpenAlarmVehicles(): { total: number; inView: number; view: string } {
  const { stores } = useConsole();
  const openAlarms = useSlice(stores.events, (s) => s.openAlarmVehicleIds);
  // Membership of the vehicles held: listRevision moves when it changes.
  const listRevision = useSlice(stores.fleet, (s) => s.listRevision);
  const fleetIds = useSlice(stores.ui, (s) => s.fleetIds);
  const fleets = useSlice(stores.fleet, (s) => s.fleets);
  const inView = useMemo(() => {
    const { vehicles } = stores.fleet.getState();
    let n = 0;
    for (const id of openAlarms) if (vehicles.has(id)) n += 1;
    return n;
  }, [stores, openAlarms, listRevision]);
  const picked = fleetIds?.length === 1 ? fleets.find((f) => f.id === fleetIds[0]) : undefined;
  return { total: openAlarms.size, inView, view: picked?.name ?? 'this view' };
}
