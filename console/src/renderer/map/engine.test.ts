import { describe, expect, it } from 'vitest';
import { MAPBOX_DEFAULT_STYLE, chooseEngine } from './engine';
import { OFFLINE_FONTS } from './offline-style';
import { dotRadius, mercator } from './vehicle-gl';

describe('map engine choice', () => {
  const base = 'fleetline://app/';

  it('uses mapbox-gl when a Mapbox token is configured, with the configured style or Mapbox dark', () => {
    expect(chooseEngine({ mapboxToken: 'pk.x', styleUrl: null }, base)).toMatchObject({
      engine: 'mapbox',
      style: MAPBOX_DEFAULT_STYLE,
    });
    expect(
      chooseEngine({ mapboxToken: 'pk.x', styleUrl: 'mapbox://styles/acme/night' }, base).style,
    ).toBe('mapbox://styles/acme/night');
  });

  it('uses maplibre-gl with a self-hosted style URL', () => {
    expect(
      chooseEngine({ mapboxToken: null, styleUrl: 'https://tiles.example.org/style.json' }, base),
    ).toEqual({
      engine: 'maplibre',
      style: 'https://tiles.example.org/style.json',
      description: 'Self-hosted map',
    });
  });

  it('falls back to the bundled offline style, every file under the renderer base', () => {
    const choice = chooseEngine(
      { mapboxToken: null, styleUrl: null },
      'http://fleet.example/console/',
    );
    expect(choice.engine).toBe('maplibre');
    if (typeof choice.style === 'string') throw new Error('expected the offline style object');
    expect(choice.style.glyphs).toBe(
      'http://fleet.example/console/map/glyphs/{fontstack}/{range}.pbf',
    );
    const urls = Object.values(choice.style.sources).map((s) => (s as { data?: unknown }).data);
    expect(urls).toEqual([
      'http://fleet.example/console/map/roads.geojson',
      'http://fleet.example/console/map/places.geojson',
    ]);
    // Only fonts whose glyphs ship with the console.
    const fonts = new Set(
      choice.style.layers.flatMap((l) =>
        'layout' in l && l.layout && 'text-font' in l.layout ? [l.layout['text-font']] : [],
      ),
    );
    for (const font of fonts)
      expect([OFFLINE_FONTS.regular, OFFLINE_FONTS.bold]).toContainEqual(font);
  });
});

describe('vehicle layer geometry', () => {
  it('projects to Web Mercator in [0, 1]', () => {
    expect(mercator(0, 0)).toEqual([0.5, 0.5]);
    const [x, y] = mercator(13.405, 52.52);
    expect(x).toBeCloseTo(0.537236, 5);
    // The textbook form of the same projection, as an independent check.
    const lat = (52.52 * Math.PI) / 180;
    expect(y).toBeCloseTo((1 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / Math.PI) / 2, 12);
    expect(mercator(-180, 0)[0]).toBe(0);
  });

  it('draws dots larger as the map zooms in, within bounds', () => {
    expect(dotRadius(5)).toBe(3);
    expect(dotRadius(12)).toBeCloseTo(5.4, 5);
    expect(dotRadius(22)).toBe(9);
  });
});
