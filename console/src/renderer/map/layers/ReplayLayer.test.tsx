// @vitest-environment happy-dom
import type * as GeoJSON from 'geojson';
import { describe, expect, it } from 'vitest';
import type { PositionHistory } from '@fleetline/protocol';
import { loadReplay } from '../../history/history-actions';
import { position } from '../../testing/fixtures';
import { json, render, step, testServices } from '../../testing/render';
import type { MapLike } from '../engine';
import { MapContext } from '../map-context';
import { ReplayLayer } from './ReplayLayer';

/** Just enough of a map for a layer component: it keeps the data last pushed to each source. */
function fakeMap() {
  const data = new Map<string, GeoJSON.GeoJSON>();
  const layers = new Set<string>();
  const map = {
    addSource: (id: string, source: { data: GeoJSON.GeoJSON }) => data.set(id, source.data),
    getSource: (id: string) =>
      data.has(id) ? { setData: (d: GeoJSON.GeoJSON) => data.set(id, d) } : undefined,
    removeSource: (id: string) => data.delete(id),
    addLayer: (layer: { id: string }) => layers.add(layer.id),
    getLayer: (id: string) => (layers.has(id) ? { id } : undefined),
    removeLayer: (id: string) => layers.delete(id),
    hasImage: () => true,
    addImage: () => undefined,
    fitBounds: () => undefined,
  };
  return { map: map as unknown as MapLike, data };
}

const MIN = 60_000;
const from = Date.UTC(2026, 10, 21, 6, 0, 0);

/** The replayed track as the map has it: one line per unbroken run, as [minutes from the start]. */
function runs(data: Map<string, GeoJSON.GeoJSON>): number[][] {
  const track = data.get('replay-track') as GeoJSON.FeatureCollection;
  const geometry = track.features[0]?.geometry as GeoJSON.MultiLineString | undefined;
  // Each fix's longitude is its minute (see `fix`).
  return (geometry?.coordinates ?? []).map((run) => run.map(([lon]) => Math.round(lon! * 100)));
}
const fix = (minute: number) => position(from + minute * MIN, minute / 100);

describe('the replay layer', () => {
  const replay = async (answer: PositionHistory) => {
    const services = testServices((url) =>
      url.includes('/positions')
        ? json(200, answer)
        : json(200, { ...answer, points: undefined, series: [] }),
    );
    const { map, data } = fakeMap();
    await render(
      services,
      <MapContext.Provider value={map}>
        <ReplayLayer />
      </MapContext.Provider>,
    );
    await step(() =>
      loadReplay(services.api, services.stores.history, {
        vehicleId: 1,
        from,
        to: answer.to,
        label: 'Whole day',
      }),
    );
    return { services, data };
  };
  const envelope = { vehicleId: 1, from, to: from + 24 * 60 * MIN };

  it('joins a thinned track at its own spacing, and breaks it where whole buckets held no fix', async () => {
    // Thinned to 2-minute buckets: the first fix of each is kept, so kept fixes
    // are up to 4 minutes apart while the vehicle reported all along. From
    // minute 20 to 60 it did not (a tunnel, a dropped link).
    const points = [0, 2, 5, 8, 11, 14, 17, 20, 60, 62, 64].map(fix);
    const { data } = await replay({ ...envelope, downsampled: true, bucketMs: 2 * MIN, points });
    expect(runs(data)).toEqual([
      [0, 2, 5, 8, 11, 14, 17, 20],
      [60, 62, 64],
    ]);
  });

  it('breaks a track that was not thinned where fixes are over 30 s apart', async () => {
    const second = (s: number) => position(from + s * 1000, s / 100);
    const points = [0, 1, 2, 3, 40, 41, 42].map(second);
    const { data } = await replay({ ...envelope, downsampled: false, bucketMs: 0, points });
    expect(runs(data)).toEqual([
      [0, 1, 2, 3],
      [40, 41, 42],
    ]);
  });

  it('keeps the cursor at the last fix before a gap, not on a line across it', async () => {
    const points = [0, 2, 4, 60, 62].map(fix);
    const { services, data } = await replay({
      ...envelope,
      downsampled: true,
      bucketMs: 2 * MIN,
      points,
    });
    const cursor = () =>
      (
        (data.get('replay-cursor') as GeoJSON.FeatureCollection).features[0]?.geometry as
          GeoJSON.Point | undefined
      )?.coordinates[0];
    await step(() => services.stores.history.getState().seek(from + 1 * MIN));
    expect(cursor()).toBeCloseTo(0.01);
    await step(() => services.stores.history.getState().seek(from + 30 * MIN));
    expect(cursor()).toBeCloseTo(0.04);
  });
});
