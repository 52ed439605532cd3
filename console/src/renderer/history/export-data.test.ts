import { describe, expect, it } from 'vitest';
import type { FleetEvent, PositionPoint, ReadingSeries } from '@fleetline/protocol';
import type { ApiClient } from '../api/client';
import {
  EXPORT_EVENT_PAGE,
  EXPORT_PAGE_POINTS,
  ExportTooLargeError,
  allEvents,
  allPositions,
  allReadings,
} from './export-data';

/**
 * The history API as docs/API.md describes it (and server/src/services/
 * history-service.ts implements it): more than maxPoints in [from, to) and
 * the answer is cut into buckets of ceil(range / maxPoints) keeping the first
 * of each, with downsampled: true.
 */
function thin<T extends { t: number }>(all: readonly T[], from: number, to: number, max: number) {
  const inRange = all.filter((p) => p.t >= from && p.t < to);
  if (inRange.length <= max) return { downsampled: false, bucketMs: 0, points: inRange };
  const bucketMs = Math.ceil((to - from) / max);
  const kept = new Map<number, T>();
  for (const p of inRange) {
    const bucket = Math.floor((p.t - from) / bucketMs);
    if (!kept.has(bucket)) kept.set(bucket, p);
  }
  return { downsampled: true, bucketMs, points: [...kept.values()] };
}

const position = (t: number): PositionPoint => ({
  t,
  lat: 52.5,
  lon: 13.4,
  speedKmh: 30,
  headingDeg: 90,
  altitudeM: null,
  hdop: 0.9,
  satellites: 9,
  fixQuality: 'gps',
});

/** A day of 1 Hz fixes from midnight: 86,400 of them, over four pages' worth. */
const DAY = 86_400_000;
const fixes = Array.from({ length: DAY / 1000 }, (_, i) => position(i * 1000));

function positionsApi() {
  const asked: { from: number; to: number; maxPoints: number }[] = [];
  const api: Pick<ApiClient, 'positions'> = {
    positions: (vehicleId, from, to, maxPoints = 5000) => {
      asked.push({ from, to, maxPoints });
      return Promise.resolve({ vehicleId, from, to, ...thin(fixes, from, to, maxPoints) });
    },
  };
  return { api, asked };
}

describe('exports hold every value, not the thinned replay', () => {
  it('gets every position of a day in time order, in pages the server sends whole', async () => {
    const { api, asked } = positionsApi();
    const points = await allPositions(api, 7, 0, DAY);
    expect(points).toHaveLength(fixes.length);
    expect(points.every((p, i) => p.t === i * 1000)).toBe(true);
    expect(asked.every((q) => q.maxPoints === EXPORT_PAGE_POINTS)).toBe(true);
    // Split only as far as needed: 1 + 2 + 4 + 8 requests for 86,400 fixes.
    expect(asked).toHaveLength(15);
  });

  it('asks once for a trip that fits a page', async () => {
    const { api, asked } = positionsApi();
    const points = await allPositions(api, 7, 3_600_000, 3_600_000 + 600_000);
    expect(points).toHaveLength(600);
    expect(asked).toHaveLength(1);
  });

  it('refuses a range with more rows than an export may hold, rather than a partial file', async () => {
    const { api } = positionsApi();
    await expect(allPositions(api, 7, 0, DAY, { maxRows: 50_000 })).rejects.toBeInstanceOf(
      ExportTooLargeError,
    );
    await expect(allPositions(api, 7, 0, DAY, { maxRows: 50_000 })).rejects.toThrow(
      /more than 50,000 positions: export a shorter one/,
    );
  });

  it('gets every reading of every series, merging the pages per series', async () => {
    const rpm = fixes.map((p) => ({ t: p.t, value: 800 + (p.t % 7) }));
    const speed = fixes.filter((_, i) => i % 2 === 0).map((p) => ({ t: p.t, value: 30 }));
    const api: Pick<ApiClient, 'readings'> = {
      readings: (vehicleId, from, to, maxPoints = 2000) => {
        // The server buckets every series by the largest one's count.
        const largest = thin(rpm, from, to, maxPoints);
        const series: ReadingSeries[] = [
          { pid: 12, part: 0, unit: 'rpm', points: largest.points },
          {
            pid: 13,
            part: 0,
            unit: 'km/h',
            points: largest.downsampled
              ? thin(speed, from, to, 1).points
              : speed.filter((p) => p.t >= from && p.t < to),
          },
        ];
        return Promise.resolve({
          vehicleId,
          from,
          to,
          downsampled: largest.downsampled,
          bucketMs: largest.bucketMs,
          series,
        });
      },
    };
    const series = await allReadings(api, 7, 0, DAY);
    expect(series.map((s) => [s.pid, s.points.length])).toEqual([
      [12, rpm.length],
      [13, speed.length],
    ]);
    expect(series[0]?.points.every((p, i) => p.t === i * 1000)).toBe(true);
  });

  it('pages the event log backwards until a short page', async () => {
    const all: FleetEvent[] = Array.from({ length: 2500 }, (_, i) => ({
      id: i + 1,
      vehicleId: 7,
      type: 'ignition_on',
      t: i,
      recordedAt: i,
      late: false,
      data: {},
    }));
    const befores: (number | undefined)[] = [];
    const api: Pick<ApiClient, 'events'> = {
      events: (query) => {
        befores.push(query.before);
        const page = all
          .filter((e) => query.before === undefined || e.id < query.before)
          .sort((a, b) => b.id - a.id)
          .slice(0, query.limit);
        return Promise.resolve(page);
      },
    };
    const events = await allEvents(api, 7, 0, 10_000);
    expect(events).toHaveLength(2500);
    expect(new Set(events.map((e) => e.id)).size).toBe(2500);
    // Pages of EXPORT_EVENT_PAGE, each before the oldest id of the last.
    expect(befores).toEqual([undefined, 2501 - EXPORT_EVENT_PAGE, 2501 - 2 * EXPORT_EVENT_PAGE]);
  });
});
