import type { StyleSpecification } from 'maplibre-gl';
import { COLORS } from '../theme/tokens';

/** Font stacks whose glyphs ship with the console (public/map/glyphs, see scripts/offline-map). */
export const OFFLINE_FONTS = { regular: ['Noto Sans Regular'], bold: ['Noto Sans Bold'] };

/**
 * The map the console draws with no network and no token: the streets the
 * demo fleet drives in each demo city, and place names (cities, districts)
 * worldwide. Built from bundled files by scripts/offline-map/build.ts; where
 * the data comes from and its licences: public/map/SOURCES.md.
 * `assetBase` is the renderer's base URL (fleetline://app/ or …/console/).
 */
export function offlineStyle(assetBase: string): StyleSpecification {
  const asset = (path: string) => new URL(path, assetBase).href;
  return {
    version: 8,
    name: 'Fleetline offline',
    glyphs: `${asset('map/glyphs/')}{fontstack}/{range}.pbf`,
    sources: {
      roads: {
        type: 'geojson',
        data: asset('map/roads.geojson'),
        attribution: 'Streets: Fleetline demo city',
      },
      places: {
        type: 'geojson',
        data: asset('map/places.geojson'),
        attribution: 'Places © GeoNames (CC BY 4.0)',
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': COLORS.mapLand } },
      {
        id: 'roads-casing',
        type: 'line',
        source: 'roads',
        minzoom: 10,
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: {
          'line-color': COLORS.background,
          'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, 1, 14, 3.5, 18, 14],
        },
      },
      {
        id: 'roads',
        type: 'line',
        source: 'roads',
        minzoom: 10,
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: {
          'line-color': [
            'match',
            ['get', 'class'],
            'arterial',
            COLORS.mapRoadMajor,
            COLORS.mapRoad,
          ],
          'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, 0.5, 14, 2, 18, 10],
        },
      },
      {
        id: 'places-minor',
        type: 'symbol',
        source: 'places',
        filter: ['==', ['get', 'kind'], 'district'],
        minzoom: 10,
        layout: {
          'text-field': ['get', 'name'],
          'text-font': OFFLINE_FONTS.regular,
          'text-size': ['interpolate', ['linear'], ['zoom'], 10, 11, 15, 14],
          'text-max-width': 8,
          'symbol-sort-key': ['-', 0, ['get', 'population']],
        },
        paint: {
          'text-color': COLORS.mapLabel,
          'text-halo-color': COLORS.mapLabelHalo,
          'text-halo-width': 1.5,
          'text-opacity': 0.85,
        },
      },
      {
        id: 'places-major',
        type: 'symbol',
        source: 'places',
        filter: ['==', ['get', 'kind'], 'city'],
        maxzoom: 12,
        layout: {
          'text-field': ['get', 'name'],
          'text-font': OFFLINE_FONTS.bold,
          'text-size': ['interpolate', ['linear'], ['zoom'], 2, 10, 6, 13, 10, 18],
          'text-max-width': 8,
          'symbol-sort-key': ['-', 0, ['get', 'population']],
        },
        paint: {
          'text-color': COLORS.mapLabel,
          'text-halo-color': COLORS.mapLabelHalo,
          'text-halo-width': 2,
        },
      },
    ],
  };
}
