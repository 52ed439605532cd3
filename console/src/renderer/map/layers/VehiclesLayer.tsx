import { useEffect } from 'react';
import type { MapLayerMouseEvent } from 'maplibre-gl';
import { useConsole } from '../../app/context';
import { matchesFilter } from '../../stores/vehicle-filter';
import { COLORS, STATE_COLORS } from '../../theme/tokens';
import { clusterExpansionZoom, setSourceData } from '../engine';
import type { MapLike } from '../engine';
import { ARROW_ICON_PREFIX, addVehicleIcons } from '../icons';
import { useMap } from '../map-context';
import { OFFLINE_FONTS } from '../offline-style';
import { vehicleCollection } from '../vehicle-features';

export const VEHICLES_SOURCE = 'vehicles';
const LAYERS = {
  clusters: 'vehicles-clusters',
  clusterCount: 'vehicles-cluster-count',
  halo: 'vehicles-selected-halo',
  points: 'vehicles-points',
  heading: 'vehicles-heading',
  labels: 'vehicles-labels',
} as const;

/** Beyond this zoom vehicles are never clustered: a dispatcher zoomed in wants every one. */
const CLUSTER_MAX_ZOOM = 12;
const LABELS_MIN_ZOOM = 14;

const stateColor = [
  'match',
  ['get', 'state'],
  'moving',
  STATE_COLORS.moving,
  'idle',
  STATE_COLORS.idle,
  'alarm',
  STATE_COLORS.alarm,
  STATE_COLORS.offline,
] as const;

/**
 * Every vehicle as WebGL layers (never a DOM element per vehicle): a dot
 * coloured by state, a heading arrow, clusters when zoomed out (red when
 * they hold an alarm), names when zoomed in. Renders nothing: the layers
 * are added in an effect and removed in its cleanup, and data goes to the
 * source with setData from store subscriptions, so a moving vehicle costs
 * no React render.
 */
export function VehiclesLayer() {
  const map = useMap();
  const { stores } = useConsole();

  useEffect(() => {
    addVehicleIcons(map);
    map.addSource(VEHICLES_SOURCE, {
      type: 'geojson',
      data: { type: 'FeatureCollection', features: [] },
      cluster: true,
      clusterMaxZoom: CLUSTER_MAX_ZOOM,
      clusterRadius: 48,
      clusterProperties: { alarms: ['+', ['get', 'alarm']] },
    });
    map.addLayer({
      id: LAYERS.clusters,
      type: 'circle',
      source: VEHICLES_SOURCE,
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': ['case', ['>', ['get', 'alarms'], 0], STATE_COLORS.alarm, COLORS.accent],
        'circle-opacity': 0.85,
        'circle-radius': ['step', ['get', 'point_count'], 14, 10, 18, 100, 24, 1000, 30],
        'circle-stroke-color': COLORS.background,
        'circle-stroke-width': 2,
      },
    });
    map.addLayer({
      id: LAYERS.clusterCount,
      type: 'symbol',
      source: VEHICLES_SOURCE,
      filter: ['has', 'point_count'],
      layout: {
        'text-field': ['get', 'point_count_abbreviated'],
        'text-font': OFFLINE_FONTS.bold,
        'text-size': 12,
        'text-allow-overlap': true,
      },
      paint: { 'text-color': COLORS.background },
    });
    map.addLayer({
      id: LAYERS.halo,
      type: 'circle',
      source: VEHICLES_SOURCE,
      filter: ['==', ['get', 'id'], -1],
      paint: {
        'circle-radius': 15,
        'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-color': COLORS.focus,
        'circle-stroke-width': 3,
      },
    });
    map.addLayer({
      id: LAYERS.points,
      type: 'circle',
      source: VEHICLES_SOURCE,
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 4, 14, 7, 18, 9],
        'circle-color': stateColor as unknown as string,
        'circle-stroke-color': COLORS.background,
        'circle-stroke-width': 1.5,
      },
    });
    map.addLayer({
      id: LAYERS.heading,
      type: 'symbol',
      source: VEHICLES_SOURCE,
      filter: ['all', ['!', ['has', 'point_count']], ['>=', ['get', 'heading'], 0]],
      layout: {
        'icon-image': ['concat', ARROW_ICON_PREFIX, ['get', 'state']],
        'icon-rotate': ['get', 'heading'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-size': 1,
      },
    });
    map.addLayer({
      id: LAYERS.labels,
      type: 'symbol',
      source: VEHICLES_SOURCE,
      filter: ['!', ['has', 'point_count']],
      minzoom: LABELS_MIN_ZOOM,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': OFFLINE_FONTS.regular,
        'text-size': 12,
        'text-offset': [0, 1.3],
        'text-anchor': 'top',
        'text-optional': true,
      },
      paint: { 'text-color': COLORS.text, 'text-halo-color': COLORS.background, 'text-halo-width': 1.5 },
    });

    const canvas = map.getCanvas();
    const push = () => {
      const { vehicles } = stores.fleet.getState();
      const { filter } = stores.ui.getState();
      const data = vehicleCollection(vehicles.values(), (v) => matchesFilter(v, filter));
      setSourceData(map, VEHICLES_SOURCE, data);
      // For people and tests looking at the page: how many vehicles the map draws.
      canvas.closest('[data-testid="map"]')?.setAttribute('data-vehicles', String(data.features.length));
    };
    const showSelection = (id: number | null) => map.setFilter(LAYERS.halo, ['==', ['get', 'id'], id ?? -1]);
    const showStale = (stale: boolean) => {
      // A picture that is not live is drawn faded: it is where vehicles were, not where they are.
      map.setPaintProperty(LAYERS.points, 'circle-opacity', stale ? 0.45 : 1);
      map.setPaintProperty(LAYERS.heading, 'icon-opacity', stale ? 0.35 : 1);
      map.setPaintProperty(LAYERS.clusters, 'circle-opacity', stale ? 0.4 : 0.85);
    };

    push();
    showSelection(stores.ui.getState().selectedId);
    showStale(stores.connection.getState().status !== 'live');
    const unsubscribeFleet = stores.fleet.subscribe((s, prev) => {
      if (s.revision !== prev.revision) push();
    });
    const unsubscribeUi = stores.ui.subscribe((s, prev) => {
      if (s.filter !== prev.filter) push();
      if (s.selectedId !== prev.selectedId) showSelection(s.selectedId);
    });
    const unsubscribeConnection = stores.connection.subscribe((s, prev) => {
      if ((s.status === 'live') !== (prev.status === 'live')) showStale(s.status !== 'live');
    });

    const onPointClick = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id as unknown;
      if (typeof id === 'number') stores.ui.getState().select(id);
    };
    const onClusterClick = (e: MapLayerMouseEvent) => {
      const feature = e.features?.[0];
      const clusterId = feature?.properties?.cluster_id as unknown;
      if (typeof clusterId !== 'number' || feature?.geometry.type !== 'Point') return;
      const center = feature.geometry.coordinates as [number, number];
      void clusterExpansionZoom(map, VEHICLES_SOURCE, clusterId).then(
        (zoom) => map.easeTo({ center, zoom: zoom + 0.5 }),
        () => map.easeTo({ center, zoom: map.getZoom() + 2 }),
      );
    };
    const pointer = () => {
      canvas.style.cursor = 'pointer';
    };
    const noPointer = () => {
      canvas.style.cursor = '';
    };
    map.on('click', LAYERS.points, onPointClick);
    map.on('click', LAYERS.clusters, onClusterClick);
    for (const layer of [LAYERS.points, LAYERS.clusters]) {
      map.on('mouseenter', layer, pointer);
      map.on('mouseleave', layer, noPointer);
    }

    return () => {
      unsubscribeFleet();
      unsubscribeUi();
      unsubscribeConnection();
      map.off('click', LAYERS.points, onPointClick);
      map.off('click', LAYERS.clusters, onClusterClick);
      for (const layer of [LAYERS.points, LAYERS.clusters]) {
        map.off('mouseenter', layer, pointer);
        map.off('mouseleave', layer, noPointer);
      }
      removeLayers(map, Object.values(LAYERS), [VEHICLES_SOURCE]);
    };
  }, [map, stores]);

  return null;
}

/** Removes layers, then their sources, tolerating a map already torn down. */
export function removeLayers(map: MapLike, layers: readonly string[], sources: readonly string[]): void {
  try {
    for (const id of layers) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of sources) if (map.getSource(id)) map.removeSource(id);
  } catch {
    // The map was removed first (the whole view unmounted): nothing left to clean.
  }
}
