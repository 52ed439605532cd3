import { useEffect } from 'react';
import { useConsole } from '../../app/context';
import { COLORS } from '../../theme/tokens';
import { setSourceData } from '../engine';
import { useMap } from '../map-context';
import { trailGeometry } from '../trail-geometry';
import { removeLayers } from './VehiclesLayer';

const SOURCE = 'selected-trail';
const LAYER = 'selected-trail-line';

/** The selected vehicle's recent trail, fed from the store's capped trail, broken where positions are missing. */
export function TrailLayer() {
  const map = useMap();
  const { stores } = useConsole();

  useEffect(() => {
    map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer(
      {
        id: LAYER,
        type: 'line',
        source: SOURCE,
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': COLORS.focus, 'line-width': 3, 'line-opacity': 0.8 },
      },
      // Under the vehicles, over the streets.
      map.getLayer('vehicles-clusters') ? 'vehicles-clusters' : undefined,
    );
    const push = () => {
      const id = stores.ui.getState().selectedId;
      const trail = id === null ? undefined : stores.fleet.getState().trails.get(id);
      const geometry = trail ? trailGeometry(trail) : null;
      setSourceData(map, SOURCE, {
        type: 'FeatureCollection',
        features: geometry ? [{ type: 'Feature', properties: {}, geometry }] : [],
      });
    };
    push();
    const unsubscribeFleet = stores.fleet.subscribe((s, prev) => {
      const id = stores.ui.getState().selectedId;
      if (id !== null && s.revision !== prev.revision && s.changed.has(id)) push();
    });
    const unsubscribeUi = stores.ui.subscribe((s, prev) => {
      if (s.selectedId !== prev.selectedId) push();
    });
    return () => {
      unsubscribeFleet();
      unsubscribeUi();
      removeLayers(map, [LAYER], [SOURCE]);
    };
  }, [map, stores]);

  return null;
}
