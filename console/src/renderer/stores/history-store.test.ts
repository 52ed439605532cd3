import { describe, expect, it } from 'vitest';
import type { PositionPoint } from '@fleetline/protocol';
import { createConsoleStores } from '../app/context';
import {
  createHistoryStore,
  dayRange,
  localDay,
  positionAt,
  readingAt,
  readingCurrentForMs,
  valueAt,
} from './history-store';

const point = (t: number, lon: number, speedKmh: number | null = 36): PositionPoint => ({
  t,
  lat: 52.5,
  lon,
  speedKmh,
  headingDeg: 90,
  altitudeM: null,
  hdop: null,
  satellites: null,
  fixQuality: 'gps',
});

describe('history store', () => {
  it('turns a day into its local [start, end) and back', () => {
    const { from, to } = dayRange('2026-03-14');
    expect(new Date(from).getDate()).toBe(14);
    expect(new Date(from).getHours()).toBe(0);
    expect(new Date(to).getDate()).toBe(15);
    expect(localDay(from)).toBe('2026-03-14');
    expect(localDay(to - 1)).toBe('2026-03-14');
    expect(() => dayRange('14.03.2026')).toThrow(/not a day/);
  });

  it('interpolates the replayed position between fixes', () => {
    const track = [point(1000, 13.0, 0), point(2000, 13.1, 20), point(4000, 13.3, 40)];
    expect(positionAt(track, 500)?.lon).toBe(13.0);
    expect(positionAt(track, 1500)?.lon).toBeCloseTo(13.05, 10);
    expect(positionAt(track, 1500)?.speedKmh).toBeCloseTo(10, 10);
    expect(positionAt(track, 3000)?.lon).toBeCloseTo(13.2, 10);
    expect(positionAt(track, 9000)?.lon).toBe(13.3);
    expect(positionAt([], 0)).toBeNull();
  });

  it('reads a series at a time: the latest value at or before it', () => {
    const points = [
      { t: 10, value: 1 },
      { t: 20, value: 2 },
      { t: 30, value: 3 },
    ];
    expect(valueAt(points, 5)).toBeNull();
    expect(valueAt(points, 10)).toBe(1);
    expect(valueAt(points, 29)).toBe(2);
    expect(valueAt(points, 99)).toBe(3);
    expect(readingAt(points, 29)).toEqual({ t: 20, value: 2 });
  });

  it("holds a reading current for three of its series' usual intervals, and at least 10 s", () => {
    const every = (ms: number, count: number, start = 0) =>
      Array.from({ length: count }, (_, i) => ({ t: start + i * ms, value: i }));
    // Read every second: 10 s, as live values; every 30 s: 90 s.
    expect(readingCurrentForMs(every(1000, 60))).toBe(10_000);
    expect(readingCurrentForMs(every(30_000, 10))).toBe(90_000);
    // Thinned to one per minute bucket: three buckets.
    expect(readingCurrentForMs(every(60_000, 100))).toBe(180_000);
    // The engine off for an hour in the middle does not make a 1 Hz series a slow one.
    expect(readingCurrentForMs([...every(1000, 30), ...every(1000, 30, 3_600_000)])).toBe(10_000);
    // A slow series in a short trip, a gap or two: the shortest of them.
    expect(readingCurrentForMs([...every(60_000, 2), { t: 200_000, value: 0 }])).toBe(180_000);
    // One reading, or none: how often cannot be told, the shortest rule.
    expect(readingCurrentForMs(every(60_000, 1))).toBe(10_000);
    expect(readingCurrentForMs([])).toBe(10_000);
  });

  it('plays a loaded track to its end, then stops; playing again starts over', () => {
    const store = createHistoryStore(() => 0);
    store.getState().trackLoading({ vehicleId: 1, from: 0, to: 10_000, label: 'x' });
    store.getState().trackLoaded([point(1000, 13), point(5000, 13.1)], [], { downsampled: false });
    expect(store.getState().cursorT).toBe(1000);
    store.getState().setPlaying(true);
    store.getState().advance(3000);
    expect(store.getState().cursorT).toBe(4000);
    store.getState().advance(3000);
    expect(store.getState().cursorT).toBe(5000);
    expect(store.getState().playing).toBe(false);
    store.getState().setPlaying(true);
    expect(store.getState().cursorT).toBe(1000);
    store.getState().seek(99_999);
    expect(store.getState().cursorT).toBe(5000);
  });

  it('forgets the replay when another vehicle is chosen', () => {
    const store = createHistoryStore(() => 0);
    store.getState().setVehicle(1);
    store.getState().trackLoading({ vehicleId: 1, from: 0, to: 10, label: 'x' });
    store.getState().setVehicle(2);
    expect(store.getState().range).toBeNull();
    expect(store.getState().trackStatus).toBe('idle');
  });

  it('closes the replay when its vehicle is closed or another is selected, whatever the tab', () => {
    // The console's stores as the window has them: nothing but the selection changes here.
    const { ui, history } = createConsoleStores();
    const replay = () => {
      history.getState().setVehicle(1);
      history.getState().trackLoading({ vehicleId: 1, from: 0, to: 10, label: 'x' });
      history.getState().trackLoaded([point(0, 13.4), point(10, 13.5)], [], { downsampled: false });
    };
    ui.getState().select(1);
    replay();
    // Something else changes in the UI: the replay stays.
    ui.getState().setFollow(true);
    ui.getState().setPanelTab('live');
    expect(history.getState().track).toHaveLength(2);

    // Closed (Esc or ×).
    ui.getState().select(null);
    expect(history.getState().range).toBeNull();
    expect(history.getState().track).toEqual([]);
    expect(history.getState().cursorT).toBeNull();

    // Another vehicle selected, from the list, the map or the alarms.
    ui.getState().select(1);
    replay();
    ui.getState().select(2);
    expect(history.getState().range).toBeNull();
    expect(history.getState().track).toEqual([]);
  });
});
