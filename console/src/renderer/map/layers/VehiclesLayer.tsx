import { useEffect } from 'react';
import type * as GeoJSON from 'geojson';
import type { MapLayerMouseEvent, MapMouseEvent } from 'maplibre-gl';
import { useConsole } from '../../app/context';
import type { VehicleRecord } from '../../stores/fleet-store';
import { matchesFilter } from '../../stores/vehicle-filter';
import { COLORS, STATE_COLORS } from '../../theme/tokens';
import { clusterExpansionZoom, setSourceData } from '../engine';
import type { MapLike } from '../engine';
import { useMap } from '../map-context';
import { OFFLINE_FONTS } from '../offline-style';
import { vehicleCollection } from '../vehicle-features';
import { VehicleGlLayer } from '../vehicle-gl';

export const VEHICLES_SOURCE = 'vehicles';
const LABELS_SOURCE = 'vehicle-labels';
const LAYERS = {
  clusters: 'vehicles-clusters',
  clusterCount: 'vehicles-cluster-count',
  points: 'vehicles-points',
  gl: 'vehicles-gl',
  labels: 'vehicles-labels',
} as const;

/**
 * From this zoom on every vehicle is drawn on its own (by the WebGL layer);
 * below it they are clustered.
 */
export const INDIVIDUAL_MIN_ZOOM = 12;
const LABELS_MIN_ZOOM = 14;

/**
 * How often the map takes new positions. Vehicles report at 1 Hz, so a
 * faster refresh shows nothing new; each refresh repaints the whole map
 * (the benchmark measures it: docs/BENCHMARKS.md). Filters and
 * selection apply at once.
 */
export const MAP_REFRESH_MS = 1000;
/** Clusters (zoomed out) move little: re-clustering is rarer. */
export const CLUSTER_REFRESH_MS = 5000;

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
 * Every vehicle on the map as WebGL, never a DOM element per vehicle: one
 * custom layer draws each vehicle as a dot coloured by state with its
 * heading (zoomed in), a clustered source draws clusters (zoomed out, red
 * when they hold an alarm), and a small label source names the vehicles in
 * view when zoomed in further. Renders nothing: sources and layers are added
 * in an effect and removed in its cleanup, and data is pushed from store
 * subscriptions, so a moving vehicle costs no React render.
 */
export function VehiclesLayer() {
  const map = useMap();
  const { stores } = useConsole();

  useEffect(() => {
    const { fleet, ui, events, connection } = stores;
    const glLayer = new VehicleGlLayer(LAYERS.gl, { minZoom: INDIVIDUAL_MIN_ZOOM });
    addLayers(map, glLayer);
    const canvas = map.getCanvas();
    const container = canvas.closest('[data-testid="map"]');

    const visible = (): VehicleRecord[] => {
      const { filter } = ui.getState();
      const openAlarms = events.getState().openAlarmVehicleIds;
      const out: VehicleRecord[] = [];
      for (const v of fleet.getState().vehicles.values())
        if (matchesFilter(v, filter, openAlarms)) out.push(v);
      return out;
    };

    /** Pushes to whatever the current zoom shows; the rest waits until it is shown. */
    let clustersFresh = false;
    const refresh = (what: { clusters: boolean }) => {
      const vehicles = visible();
      const zoom = map.getZoom();
      glLayer.setVehicles(vehicles, ui.getState().selectedId);
      // For people and tests looking at the page: how many vehicles the map draws.
      container?.setAttribute('data-vehicles', String(vehicles.filter((v) => v.position).length));
      clustersFresh = false;
      if (zoom < INDIVIDUAL_MIN_ZOOM && what.clusters) {
        setSourceData(
          map,
          VEHICLES_SOURCE,
          vehicleCollection(vehicles, () => true),
        );
        clustersFresh = true;
      }
      if (zoom >= LABELS_MIN_ZOOM) {
        setSourceData(map, LABELS_SOURCE, labelsInView(map, vehicles));
      }
    };

    let lastRefresh = -Infinity;
    let lastClusters = -Infinity;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refreshNow = () => {
      clearTimeout(timer);
      timer = undefined;
      lastRefresh = performance.now();
      const clusters = performance.now() - lastClusters >= CLUSTER_REFRESH_MS || !clustersFresh;
      if (clusters) lastClusters = performance.now();
      refresh({ clusters });
    };
    const refreshSoon = () => {
      if (timer !== undefined) return;
      timer = setTimeout(refreshNow, Math.max(0, lastRefresh + MAP_REFRESH_MS - performance.now()));
    };
    const forceAll = () => {
      lastClusters = -Infinity;
      refreshNow();
    };

    const showStale = (stale: boolean) => {
      // A picture that is not live is drawn faded: it is where vehicles were, not where they are.
      glLayer.setOpacity(stale ? 0.45 : 1);
      map.setPaintProperty(LAYERS.points, 'circle-opacity', stale ? 0.45 : 1);
      map.setPaintProperty(LAYERS.clusters, 'circle-opacity', stale ? 0.4 : 0.85);
    };

    forceAll();
    showStale(connection.getState().status !== 'live');
    const unsubscribeFleet = fleet.subscribe((s, prev) => {
      // A vehicle going into alarm is news now; movement waits for the next refresh.
      if (s.alarmRevision !== prev.alarmRevision) refreshNow();
      else if (s.revision !== prev.revision) refreshSoon();
    });
    const unsubscribeUi = ui.subscribe((s, prev) => {
      if (s.filter !== prev.filter) forceAll();
      else if (s.selectedId !== prev.selectedId) glLayer.setVehicles(visible(), s.selectedId);
    });
    // Filtered to vehicles with an open alarm, the map shows a vehicle's first
    // alarm, and drops it once its last is acknowledged, at once.
    const unsubscribeEvents = events.subscribe((s, prev) => {
      if (
        s.openAlarmVehicleIds !== prev.openAlarmVehicleIds &&
        ui.getState().filter.states.has('open-alarm')
      )
        forceAll();
    });
    const unsubscribeConnection = connection.subscribe((s, prev) => {
      if ((s.status === 'live') !== (prev.status === 'live')) showStale(s.status !== 'live');
    });
    // Zooming or panning into a band whose data is older than the last refresh brings it up to date.
    const onMoveEnd = () => {
      const zoom = map.getZoom();
      if (zoom < INDIVIDUAL_MIN_ZOOM && !clustersFresh) forceAll();
      // Labels cover the view only: a move shows vehicles that have none yet.
      else if (zoom >= LABELS_MIN_ZOOM) refreshNow();
    };

    const onClick = (e: MapMouseEvent) => {
      const id = glLayer.hitTest(e.point);
      if (id !== null) ui.getState().select(id);
    };
    const onPointClick = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id as unknown;
      if (typeof id === 'number') ui.getState().select(id);
    };
    const onClusterClick = (e: MapLayerMouseEvent) => {
      const feature = e.features?.[0];
      const clusterId = feature?.properties?.cluster_id as unknown;
      if (typeof clusterId !== 'number' || feature?.geometry.type !== 'Point') return;
      const center = feature.geometry.coordinates as [number, number];
      void clusterExpansionZoom(map, VEHICLES_SOURCE, clusterId).then(
        (zoom) => map.easeTo({ center, zoom: Math.max(zoom, map.getZoom() + 1) + 0.5 }),
        () => map.easeTo({ center, zoom: map.getZoom() + 2 }),
      );
    };
    let hoverCheck = 0;
    const onMouseMove = (e: MapMouseEvent) => {
      // Hit testing walks every vehicle: at most a few times a second is plenty for a cursor.
      if (performance.now() - hoverCheck < 100) return;
      hoverCheck = performance.now();
      canvas.style.cursor = glLayer.hitTest(e.point) !== null ? 'pointer' : '';
    };
    const pointer = () => {
      canvas.style.cursor = 'pointer';
    };
    const noPointer = () => {
      canvas.style.cursor = '';
    };
    map.on('moveend', onMoveEnd);
    map.on('click', onClick);
    map.on('mousemove', onMouseMove);
    map.on('click', LAYERS.points, onPointClick);
    map.on('click', LAYERS.clusters, onClusterClick);
    for (const layer of [LAYERS.points, LAYERS.clusters]) {
      map.on('mouseenter', layer, pointer);
      map.on('mouseleave', layer, noPointer);
    }

    return () => {
      clearTimeout(timer);
      unsubscribeFleet();
      unsubscribeUi();
      unsubscribeEvents();
      unsubscribeConnection();
      map.off('moveend', onMoveEnd);
      map.off('click', onClick);
      map.off('mousemove', onMouseMove);
      map.off('click', LAYERS.points, onPointClick);
      map.off('click', LAYERS.clusters, onClusterClick);
      for (const layer of [LAYERS.points, LAYERS.clusters]) {
        map.off('mouseenter', layer, pointer);
        map.off('mouseleave', layer, noPointer);
      }
      removeLayers(map, Object.values(LAYERS), [VEHICLES_SOURCE, LABELS_SOURCE]);
    };
  }, [map, stores]);

  return null;
}

function addLayers(map: MapLike, glLayer: VehicleGlLayer): void {
  const empty: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };
  map.addSource(VEHICLES_SOURCE, {
    type: 'geojson',
    data: empty,
    cluster: true,
    clusterMaxZoom: INDIVIDUAL_MIN_ZOOM - 1,
    clusterRadius: 48,
    clusterProperties: { alarms: ['+', ['get', 'alarm']] },
  });
  map.addSource(LABELS_SOURCE, { type: 'geojson', data: empty });
  map.addLayer({
    id: LAYERS.clusters,
    type: 'circle',
    source: VEHICLES_SOURCE,
    maxzoom: INDIVIDUAL_MIN_ZOOM,
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
    maxzoom: INDIVIDUAL_MIN_ZOOM,
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
    id: LAYERS.points,
    type: 'circle',
    source: VEHICLES_SOURCE,
    maxzoom: INDIVIDUAL_MIN_ZOOM,
    filter: ['!', ['has', 'point_count']],
    paint: {
      'circle-radius': 5,
      'circle-color': stateColor as unknown as string,
      'circle-stroke-color': COLORS.background,
      'circle-stroke-width': 1.5,
    },
  });
  map.addLayer(glLayer);
  map.addLayer({
    id: LAYERS.labels,
    type: 'symbol',
    source: LABELS_SOURCE,
    minzoom: LABELS_MIN_ZOOM,
    layout: {
      'text-field': ['get', 'name'],
      'text-font': OFFLINE_FONTS.regular,
      'text-size': 12,
      'text-offset': [0, 1.4],
      'text-anchor': 'top',
      'text-optional': true,
    },
    paint: {
      'text-color': COLORS.text,
      'text-halo-color': COLORS.background,
      'text-halo-width': 1.5,
    },
  });
}

/** Names of the vehicles in view (with a margin), for the label layer. */
function labelsInView(map: MapLike, vehicles: readonly VehicleRecord[]): GeoJSON.FeatureCollection {
  const bounds = map.getBounds();
  const west = bounds.getWest();
  const east = bounds.getEast();
  const south = bounds.getSouth();
  const north = bounds.getNorth();
  const mx = (east - west) * 0.25;
  const my = (north - south) * 0.25;
  const features: GeoJSON.Feature[] = [];
  for (const v of vehicles) {
    const p = v.position;
    if (!p || p.lon < west - mx || p.lon > east + mx || p.lat < south - my || p.lat > north + my)
      continue;
    features.push({
      type: 'Feature',
      properties: { name: v.name },
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** Removes layers, then their sources, tolerating a map already torn down. */
export function removeLayers(
  map: MapLike,
  layers: readonly string[],
  sources: readonly string[],
): void {
  try {
    for (const id of layers) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of sources) if (map.getSource(id)) map.removeSource(id);
  } catch {
    // The map was removed first (the whole view unmounted): nothing left to clean.
  }
}
