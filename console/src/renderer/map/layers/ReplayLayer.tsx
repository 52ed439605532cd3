import type * as GeoJSON from 'geojson';
import { useEffect } from 'react';
import { useConsole } from '../../app/context';
import { positionAt } from '../../stores/history-store';
import { COLORS } from '../../theme/tokens';
import { setSourceData } from '../engine';
import { ARROW_ICON_PREFIX, addVehicleIcons } from '../icons';
import { useMap } from '../map-context';
import { trailGeometry } from '../trail-geometry';
import { removeLayers } from './VehiclesLayer';

const TRACK = 'replay-track';
const CURSOR = 'replay-cursor';
const LAYERS = [
  'replay-track-casing',
  'replay-track-line',
  'replay-cursor-dot',
  'replay-cursor-arrow',
];
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

/**
 * A replayed trip: its track, and where the vehicle was at the slider's
 * time. Both follow the history store; the camera fits the track once.
 */
export function ReplayLayer() {
  const map = useMap();
  const { stores } = useConsole();

  useEffect(() => {
    addVehicleIcons(map);
    map.addSource(TRACK, { type: 'geojson', data: EMPTY });
    map.addSource(CURSOR, { type: 'geojson', data: EMPTY });
    map.addLayer({
      id: LAYERS[0] as string,
      type: 'line',
      source: TRACK,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': COLORS.background, 'line-width': 7 },
    });
    map.addLayer({
      id: LAYERS[1] as string,
      type: 'line',
      source: TRACK,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': COLORS.accent, 'line-width': 4 },
    });
    map.addLayer({
      id: LAYERS[2] as string,
      type: 'circle',
      source: CURSOR,
      paint: {
        'circle-radius': 8,
        'circle-color': COLORS.focus,
        'circle-stroke-color': COLORS.background,
        'circle-stroke-width': 2,
      },
    });
    map.addLayer({
      id: LAYERS[3] as string,
      type: 'symbol',
      source: CURSOR,
      filter: ['>=', ['get', 'heading'], 0],
      layout: {
        'icon-image': `${ARROW_ICON_PREFIX}idle`,
        'icon-rotate': ['get', 'heading'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-offset': [0, -14],
      },
    });

    const pushTrack = () => {
      const { track, trackGapMs } = stores.history.getState();
      // Broken where positions are missing: never a straight line across a tunnel.
      const geometry = trailGeometry(track, trackGapMs);
      setSourceData(
        map,
        TRACK,
        geometry
          ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry }] }
          : EMPTY,
      );
      if (track.length > 1) {
        const lons = track.map((p) => p.lon);
        const lats = track.map((p) => p.lat);
        map.fitBounds(
          [
            [Math.min(...lons), Math.min(...lats)],
            [Math.max(...lons), Math.max(...lats)],
          ],
          { padding: 80, maxZoom: 16, duration: 600 },
        );
      }
    };
    const pushCursor = () => {
      const { track, trackGapMs, cursorT } = stores.history.getState();
      const at = cursorT === null ? null : positionAt(track, cursorT, trackGapMs);
      setSourceData(
        map,
        CURSOR,
        at
          ? {
              type: 'FeatureCollection',
              features: [
                {
                  type: 'Feature',
                  properties: { heading: at.headingDeg ?? -1 },
                  geometry: { type: 'Point', coordinates: [at.lon, at.lat] },
                },
              ],
            }
          : EMPTY,
      );
    };
    pushTrack();
    pushCursor();
    const unsubscribe = stores.history.subscribe((s, prev) => {
      if (s.track !== prev.track) pushTrack();
      if (s.cursorT !== prev.cursorT || s.track !== prev.track) pushCursor();
    });
    return () => {
      unsubscribe();
      removeLayers(map, LAYERS, [TRACK, CURSOR]);
    };
  }, [map, stores]);

  return null;
}
