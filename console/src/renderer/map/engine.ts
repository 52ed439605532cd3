import type * as GeoJSON from 'geojson';
import type { Map as MaplibreMap, StyleSpecification } from 'maplibre-gl';
import { offlineStyle } from './offline-style';

/**
 * The part of the map API the console uses. mapbox-gl and maplibre-gl share
 * it (maplibre-gl began as a fork of mapbox-gl), so layers are written once
 * against this type; maplibre's declarations describe it.
 */
export type MapLike = Pick<
  MaplibreMap,
  | 'addSource'
  | 'getSource'
  | 'removeSource'
  | 'addLayer'
  | 'getLayer'
  | 'removeLayer'
  | 'setPaintProperty'
  | 'setLayoutProperty'
  | 'setFilter'
  | 'on'
  | 'off'
  | 'once'
  | 'easeTo'
  | 'jumpTo'
  | 'fitBounds'
  | 'getZoom'
  | 'getCenter'
  | 'getBounds'
  | 'queryRenderedFeatures'
  | 'hasImage'
  | 'addImage'
  | 'isStyleLoaded'
  | 'resize'
  | 'remove'
  | 'getCanvas'
  | 'triggerRepaint'
  | 'project'
>;

export interface MapSettings {
  mapboxToken: string | null;
  styleUrl: string | null;
}

export interface EngineChoice {
  engine: 'maplibre' | 'mapbox';
  /** A style URL, or the bundled offline style. */
  style: string | StyleSpecification;
  /** What the map shows, for the status line. */
  description: string;
}

export const MAPBOX_DEFAULT_STYLE = 'mapbox://styles/mapbox/dark-v11';

/**
 * mapbox-gl when a Mapbox token is configured (with the configured style,
 * or Mapbox's dark style); otherwise maplibre-gl, with the configured style
 * URL (self-hosted tiles) or the bundled offline style, which needs no
 * network at all.
 */
export function chooseEngine(settings: MapSettings, assetBase: string): EngineChoice {
  if (settings.mapboxToken) {
    return {
      engine: 'mapbox',
      style: settings.styleUrl ?? MAPBOX_DEFAULT_STYLE,
      description: 'Mapbox',
    };
  }
  if (settings.styleUrl)
    return { engine: 'maplibre', style: settings.styleUrl, description: 'Self-hosted map' };
  return { engine: 'maplibre', style: offlineStyle(assetBase), description: 'Offline map' };
}

export interface MapView {
  center: [number, number];
  zoom: number;
}

/** Creates the map with the chosen engine; each engine's code is loaded only when used. */
export async function createMap(
  container: HTMLElement,
  choice: EngineChoice,
  settings: MapSettings,
  view: MapView,
): Promise<MapLike> {
  const common = {
    container,
    center: view.center,
    zoom: view.zoom,
    // The dispatcher's screen stays still unless they move it: no rotation by accident.
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    maxPitch: 0,
    fadeDuration: 0,
  } as const;
  if (choice.engine === 'mapbox') {
    const [{ default: mapboxgl }] = await Promise.all([
      import('mapbox-gl'),
      import('mapbox-gl/dist/mapbox-gl.css'),
    ]);
    mapboxgl.accessToken = settings.mapboxToken ?? '';
    const map = new mapboxgl.Map({ ...common, style: choice.style as string });
    map.addControl(new mapboxgl.NavigationControl({ showCompass: false }), 'bottom-right');
    map.addControl(new mapboxgl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    // Same API for what MapLike covers (see above).
    return map as unknown as MapLike;
  }
  const [{ default: maplibregl }] = await Promise.all([
    import('maplibre-gl'),
    import('maplibre-gl/dist/maplibre-gl.css'),
  ]);
  const map = new maplibregl.Map({ ...common, style: choice.style });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return map;
}

/** The zoom at which a cluster breaks apart: maplibre answers with a promise, mapbox with a callback. */
export function clusterExpansionZoom(
  map: MapLike,
  sourceId: string,
  clusterId: number,
): Promise<number> {
  const source = map.getSource(sourceId) as unknown as {
    getClusterExpansionZoom(
      id: number,
      callback?: (err: unknown, zoom: number) => void,
    ): Promise<number> | undefined;
  };
  return new Promise((resolve, reject) => {
    const result = source.getClusterExpansionZoom(clusterId, (err, zoom) =>
      err
        ? reject(err instanceof Error ? err : new Error('cluster expansion failed'))
        : resolve(zoom),
    );
    if (result && typeof result.then === 'function') result.then(resolve, reject);
  });
}

/** Sets a GeoJSON source's data (both engines). */
export function setSourceData(map: MapLike, sourceId: string, data: GeoJSON.GeoJSON): void {
  const source = map.getSource(sourceId) as { setData?: (d: GeoJSON.GeoJSON) => void } | undefined;
  source?.setData?.(data);
}
