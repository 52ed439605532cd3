import type { Trip } from '@fleetline/protocol';
import type { ApiClient } from '../api/client';
import { errorMessage } from '../api/errors';
import type { HistoryStore, ReplayRange } from '../stores/history-store';
import { dayRange } from '../stores/history-store';
import { formatTime } from '../panels/format';

/** Points asked for a replayed track: plenty for a trip, bounded for a whole day. */
const TRACK_POINTS = 5000;
const READING_POINTS = 1500;

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
    const [positions, readings] = await Promise.all([
      api.positions(range.vehicleId, range.from, range.to, TRACK_POINTS),
      api.readings(range.vehicleId, range.from, range.to, READING_POINTS),
    ]);
    if (history.getState().range !== range) return;
    history
      .getState()
      .trackLoaded(
        positions.points,
        readings.series,
        positions.downsampled || readings.downsampled,
        positions.bucketMs,
      );
  } catch (err) {
    if (history.getState().range === range) history.getState().trackFailed(errorMessage(err));
  }
}
