import { useEffect } from 'react';
import { useConsole } from '../../app/context';
import { filterVehicles } from '../../stores/vehicle-filter';
import type { MapLike } from '../engine';
import { useMap } from '../map-context';
import { MAP_REFRESH_MS } from './VehiclesLayer';

/**
 * Moves the camera for the console, never through React renders: follows
 * the selected vehicle in follow mode (a drag by the dispatcher ends it),
 * centres on a newly selected vehicle, and fits the (filtered) fleet on
 * request or when the first picture arrives and no view was saved.
 */
export function CameraController({ fitOnFirstData }: { fitOnFirstData: boolean }) {
  const map = useMap();
  const { stores } = useConsole();

  useEffect(() => {
    const { fleet, ui } = stores;
    let awaitingFirstFit = fitOnFirstData;
    const centreOn = (id: number) => {
      const p = fleet.getState().vehicles.get(id)?.position;
      if (!p) return;
      map.easeTo({ center: [p.lon, p.lat], duration: 600 });
    };
    // Following glides from fix to fix, at the pace the map takes positions,
    // rather than jumping with every store flush.
    let lastFollow = -Infinity;
    const followVehicle = (id: number) => {
      const p = fleet.getState().vehicles.get(id)?.position;
      if (!p || performance.now() - lastFollow < MAP_REFRESH_MS) return;
      lastFollow = performance.now();
      map.easeTo({ center: [p.lon, p.lat], duration: MAP_REFRESH_MS, easing: (t) => t });
    };
    const fit = () => fitVehicles(map, stores);

    if (awaitingFirstFit && fleet.getState().vehicles.size > 0) {
      awaitingFirstFit = false;
      fit();
    }
    const unsubscribeFleet = fleet.subscribe((s, prev) => {
      if (s.revision === prev.revision) return;
      if (awaitingFirstFit && s.vehicles.size > 0) {
        awaitingFirstFit = false;
        fit();
      }
      const { follow, selectedId } = ui.getState();
      if (follow && selectedId !== null && s.changed.has(selectedId)) followVehicle(selectedId);
    });
    const unsubscribeUi = ui.subscribe((s, prev) => {
      if (s.fitRequest !== prev.fitRequest) fit();
      if (s.selectedId !== null && (s.selectedId !== prev.selectedId || (s.follow && !prev.follow)))
        centreOn(s.selectedId);
    });
    const onDragStart = () => {
      if (ui.getState().follow) ui.getState().setFollow(false);
    };
    map.on('dragstart', onDragStart);
    return () => {
      unsubscribeFleet();
      unsubscribeUi();
      map.off('dragstart', onDragStart);
    };
  }, [map, stores, fitOnFirstData]);

  return null;
}

function fitVehicles(map: MapLike, stores: ReturnType<typeof useConsole>['stores']): void {
  const vehicles = filterVehicles(
    stores.fleet.getState().vehicles.values(),
    stores.ui.getState().filter,
    stores.events.getState().openAlarmVehicleIds,
  );
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const v of vehicles) {
    if (!v.position) continue;
    west = Math.min(west, v.position.lon);
    east = Math.max(east, v.position.lon);
    south = Math.min(south, v.position.lat);
    north = Math.max(north, v.position.lat);
  }
  if (!Number.isFinite(west)) return;
  map.fitBounds(
    [
      [west, south],
      [east, north],
    ],
    { padding: 80, maxZoom: 15, duration: 600 },
  );
}
