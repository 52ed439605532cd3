import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useConsole } from '../app/context';
import { chooseEngine, createMap } from './engine';
import type { MapLike, MapSettings } from './engine';
import { MapContext } from './map-context';

/** Where the map opens before it knows anything better: the demo fleet's city. */
export const DEFAULT_VIEW = { center: [13.405, 52.52] as [number, number], zoom: 11 };

/** The renderer's own base URL, where the bundled map files are (fleetline://app/ or …/console/). */
export function assetBase(): string {
  return new URL('./', document.baseURI).href;
}

/**
 * The map. Asks the server which engine and style to use (a Mapbox token,
 * a self-hosted style, or neither), falls back to the bundled offline style
 * when the server cannot be reached, and renders its layer children once
 * the style has loaded. Remembers the view between runs.
 */
export function MapView({ children }: { children: ReactNode }) {
  const { api, platform } = useConsole();
  const container = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<MapLike | null>(null);
  const [engine, setEngine] = useState<string>('');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let created: MapLike | null = null;
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    void (async () => {
      const settings: MapSettings = await api.config().then(
        (config) => config.map,
        () => ({ mapboxToken: null, styleUrl: null }),
      );
      const saved = (await platform.settings()).mapView;
      const choice = chooseEngine(settings, assetBase());
      if (disposed || !container.current) return;
      const map = await createMap(
        container.current,
        choice,
        settings,
        saved ? { center: [saved.lon, saved.lat], zoom: saved.zoom } : DEFAULT_VIEW,
      );
      created = map;
      if (disposed) {
        map.remove();
        return;
      }
      setEngine(choice.description);
      map.on('error', (e: { error?: { message?: string } }) => {
        setProblem(e.error?.message ?? 'the map could not load part of its data');
      });
      map.on('moveend', () => {
        clearTimeout(saveTimer);
        saveTimer = setTimeout(() => {
          const c = map.getCenter();
          void platform.updateSettings({
            mapView: { lon: c.lng, lat: c.lat, zoom: Math.round(map.getZoom() * 100) / 100 },
          });
        }, 1000);
      });
      const ready = () => {
        if (!disposed) setMap(map);
      };
      if (map.isStyleLoaded()) ready();
      else void map.once('load', ready);
    })().catch((err: unknown) => setProblem(err instanceof Error ? err.message : String(err)));
    return () => {
      disposed = true;
      clearTimeout(saveTimer);
      setMap(null);
      created?.remove();
    };
  }, [api, platform]);

  return (
    <div className="map" data-engine={engine} data-ready={map ? 'true' : 'false'} data-testid="map">
      <div ref={container} className="map-canvas" />
      {problem && (
        <div className="map-problem" role="status">
          Map: {problem}
        </div>
      )}
      {map && <MapContext.Provider value={map}>{children}</MapContext.Provider>}
    </div>
  );
}
