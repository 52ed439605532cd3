import { describe, expect, it } from 'vitest';
import type { Trip } from '@fleetline/protocol';
import { tripRange } from './history-actions';

const trip = (startT: number | null, endT: number | null): Trip => ({
  startT,
  endT,
  durationS: null,
  distanceKm: null,
  start: null,
  end: null,
});

describe('tripRange', () => {
  const start = Date.UTC(2026, 10, 21, 8, 0, 0);

  it('includes the instant an ended trip ended: history ranges leave out their end', () => {
    const end = start + 25 * 60_000;
    const range = tripRange(7, trip(start, end), end + 3_600_000);
    expect(range).toMatchObject({ vehicleId: 7, from: start, to: end + 1 });
  });

  it('runs an ongoing trip up to now', () => {
    const now = start + 10 * 60_000;
    const range = tripRange(7, trip(start, null), now);
    expect(range).toMatchObject({ from: start, to: now });
    expect(range?.label).toMatch(/–now$/);
  });

  it('gives a trip that ended as it started a second, so it has something to show', () => {
    expect(tripRange(7, trip(start, start), start + 5000)).toMatchObject({
      from: start,
      to: start + 1000,
    });
  });

  it('has nothing to replay for a trip whose start is unknown', () => {
    expect(tripRange(7, trip(null, start), start + 5000)).toBeNull();
  });
});
