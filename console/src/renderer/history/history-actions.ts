import type { ReadingSeries, Trip } from '@fleetline/protocol';
import type { ApiClient } from '../api/client';
import { errorMessage } from '../api/errors';
import type { HistoryStore, ReplayRange } from '../stores/history-store';
import { dayRange } from '../stores/history-store';
import { formatTime } from '../panels/format';

/** Points asked for a replayed track: plenty for a trip, bounded for a whole day. */
const TRACK_POINTS = 5000;
const READING_POINTS = 1500;
/**
 * How far before a replay's start to look for the reading each series had
 * then. Longer than the slowest PID of the companion's default plan (fuel
 * level, every 60 s) with room for a slower configured one and a missed
 * poll; short enough that what it finds describes the engine the replay
 * starts with, not the one parked last night: a warm coolant reading from the
 * previous trip would mislead more than "no reading yet".
 */
export const READINGS_BEFORE_MS = 5 * 60_000;
/** Enough that five minutes of 1 Hz series come back whole: the last value, not a bucket's mean. */
const READINGS_BEFORE_POINTS = 2000;

export async function loadTrips(api: ApiClient, history: HistoryStore): Promise<void> {
  const { vehicleId, day } = history.getState();
  if (vehicleId === null) return;
  history.getState().tripsLoading();
  try {
    const { from, to } = dayRange(day);
    const list = await api.trips(vehicleId, from, to);
    // A later request (another day, another vehicle) wins.
    if (history.getState().vehicleId !== vehicleId || history.getState().day !== day) return;
    history.getState().tripsLoaded(list.trips);
  } catch (err) {
    history.getState().tripsFailed(errorMessage(err));
  }
}

/**
 * The range a trip replays and exports. History ranges are [from, to), so an
 * ended trip's range reaches one millisecond past its end: the position and
 * the trip_end event at that instant belong to the trip.
 */
export function tripRange(vehicleId: number, trip: Trip, now: number): ReplayRange | null {
  const from = trip.startT;
  if (from === null) return null;
  const to = trip.endT === null ? now : trip.endT + 1;
  return {
    vehicleId,
    from,
    to: Math.max(to, from + 1000),
    label: `Trip ${formatTime(from)}–${trip.endT ? formatTime(trip.endT) : 'now'}`,
  };
}

export function dayReplayRange(vehicleId: number, day: string, now: number): ReplayRange {
  const { from, to } = dayRange(day);
  return { vehicleId, from, to: Math.min(to, now + 60_000), label: `Whole day ${day}` };
}

export async function loadReplay(
  api: ApiClient,
  history: HistoryStore,
  range: ReplayRange,
): Promise<void> {
  history.getState().trackLoading(range);
  try {
    const [positions, readings, before] = await Promise.all([
      api.positions(range.vehicleId, range.from, range.to, TRACK_POINTS),
      api.readings(range.vehicleId, range.from, range.to, READING_POINTS),
      api.readings(
        range.vehicleId,
        range.from - READINGS_BEFORE_MS,
        range.from,
        READINGS_BEFORE_POINTS,
      ),
    ]);
    if (history.getState().range !== range) return;
    history.getState().trackLoaded(positions.points, readings.series, {
      downsampled: positions.downsampled || readings.downsampled,
      bucketMs: positions.bucketMs,
      readingsBefore: lastOfEach(before.series),
    });
  } catch (err) {
    if (history.getState().range === range) history.getState().trackFailed(errorMessage(err));
  }
}

/** Each series cut to its latest point. */
function lastOfEach(series: readonly ReadingSeries[]): ReadingSeries[] {
  return series.flatMap((s) => {
    const last = s.points.at(-1);
    return last ? [{ ...s, points: [last] }] : [];
  });
}
