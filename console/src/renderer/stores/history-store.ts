import { createStore } from 'zustand/vanilla';
import type { PositionPoint, ReadingSeries, Trip } from '@fleetline/protocol';
import { TRAIL_GAP_MS, replayGapMs } from '../map/trail-geometry';
import type { UiStore } from './ui-store';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What is being replayed: one trip, or a whole day when no trip was reported. */
export interface ReplayRange {
  vehicleId: number;
  from: number;
  to: number;
  label: string;
}

export const REPLAY_SPEEDS = [1, 10, 30, 60, 120] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

export interface HistoryState {
  vehicleId: number | null;
  /** The day shown, as YYYY-MM-DD in the console's time zone. */
  day: string;
  trips: Trip[];
  tripsStatus: LoadStatus;
  tripsError: string | null;

  range: ReplayRange | null;
  track: PositionPoint[];
  readings: ReadingSeries[];
  /**
   * The latest reading of each series shortly before the range (one point
   * each): what the replay shows until a series' first reading in the range.
   */
  readingsBefore: ReadingSeries[];
  trackStatus: LoadStatus;
  trackError: string | null;
  downsampled: boolean;
  /**
   * Fixes of the track further apart than this are not joined, on the map
   * or by the cursor: positions are missing there (replayGapMs).
   */
  trackGapMs: number;

  /** The replay cursor (epoch ms within the range). */
  cursorT: number | null;
  playing: boolean;
  speed: ReplaySpeed;

  setVehicle(vehicleId: number | null): void;
  setDay(day: string): void;
  tripsLoading(): void;
  tripsLoaded(trips: Trip[]): void;
  tripsFailed(message: string): void;
  trackLoading(range: ReplayRange): void;
  trackLoaded(track: PositionPoint[], readings: ReadingSeries[], details: LoadedTrackDetails): void;
  trackFailed(message: string): void;
  seek(t: number): void;
  setPlaying(playing: boolean): void;
  setSpeed(speed: ReplaySpeed): void;
  /** Moves the cursor by `ms` of replay time; stops at the end. */
  advance(ms: number): void;
  closeReplay(): void;
}

export interface LoadedTrackDetails {
  /** Whether the server thinned the track or the readings. */
  downsampled: boolean;
  /** The width of the buckets the track was thinned to (0 or absent: not thinned). */
  bucketMs?: number;
  readingsBefore?: ReadingSeries[];
}

export type HistoryStore = ReturnType<typeof createHistoryStore>;

export function localDay(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** [start, end) of a YYYY-MM-DD day in the console's time zone (DST days are 23 or 25 h). */
export function dayRange(day: string): { from: number; to: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) throw new Error(`not a day: ${day}`);
  const [y, m, d] = match.slice(1).map(Number) as [number, number, number];
  return { from: new Date(y, m - 1, d).getTime(), to: new Date(y, m - 1, d + 1).getTime() };
}

export function createHistoryStore(now: () => number = Date.now) {
  return createStore<HistoryState>()((set, get) => ({
    vehicleId: null,
    day: localDay(now()),
    trips: [],
    tripsStatus: 'idle',
    tripsError: null,
    range: null,
    track: [],
    readings: [],
    readingsBefore: [],
    trackStatus: 'idle',
    trackError: null,
    downsampled: false,
    trackGapMs: TRAIL_GAP_MS,
    cursorT: null,
    playing: false,
    speed: 30,

    setVehicle(vehicleId) {
      if (vehicleId === get().vehicleId) return;
      set({
        vehicleId,
        trips: [],
        tripsStatus: 'idle',
        tripsError: null,
        range: null,
        track: [],
        readings: [],
        readingsBefore: [],
        trackStatus: 'idle',
        cursorT: null,
        playing: false,
      });
    },
    setDay: (day) => set({ day, trips: [], tripsStatus: 'idle', tripsError: null }),
    tripsLoading: () => set({ tripsStatus: 'loading', tripsError: null }),
    tripsLoaded: (trips) => set({ trips, tripsStatus: 'ready' }),
    tripsFailed: (message) => set({ tripsStatus: 'error', tripsError: message }),
    trackLoading: (range) =>
      set({
        range,
        track: [],
        readings: [],
        readingsBefore: [],
        trackStatus: 'loading',
        trackError: null,
        cursorT: null,
        playing: false,
      }),
    trackLoaded: (track, readings, { downsampled, bucketMs = 0, readingsBefore = [] }) =>
      set({
        track,
        readings,
        readingsBefore,
        downsampled,
        trackGapMs: replayGapMs(bucketMs),
        trackStatus: 'ready',
        cursorT: track[0]?.t ?? get().range?.from ?? null,
      }),
    trackFailed: (message) => set({ trackStatus: 'error', trackError: message }),
    seek(t) {
      const { track } = get();
      const first = track[0]?.t;
      const last = track.at(-1)?.t;
      if (first === undefined || last === undefined) return;
      set({ cursorT: Math.min(last, Math.max(first, t)) });
    },
    setPlaying(playing) {
      const { track, cursorT } = get();
      const last = track.at(-1)?.t;
      if (playing && (last === undefined || cursorT === null)) return;
      // Play from the start again once the end was reached.
      if (playing && cursorT !== null && last !== undefined && cursorT >= last)
        set({ cursorT: track[0]?.t ?? cursorT });
      set({ playing });
    },
    setSpeed: (speed) => set({ speed }),
    advance(ms) {
      const { cursorT, track } = get();
      const last = track.at(-1)?.t;
      if (cursorT === null || last === undefined) return;
      const next = cursorT + ms;
      if (next >= last) set({ cursorT: last, playing: false });
      else set({ cursorT: next });
    },
    closeReplay: () =>
      set({
        range: null,
        track: [],
        readings: [],
        readingsBefore: [],
        trackStatus: 'idle',
        cursorT: null,
        playing: false,
      }),
  }));
}

/**
 * The replayed vehicle's position at `t`, interpolated between the two fixes
 * around it; across a gap (fixes more than `gapMs` apart) it stays at the last
 * fix before it, as the track does not draw a road it never saw.
 */
export function positionAt(
  track: readonly PositionPoint[],
  t: number,
  gapMs = Infinity,
): { lon: number; lat: number; headingDeg: number | null; speedKmh: number | null } | null {
  if (track.length === 0) return null;
  let lo = 0;
  let hi = track.length - 1;
  const first = track[0] as PositionPoint;
  const last = track[hi] as PositionPoint;
  if (t <= first.t) return first;
  if (t >= last.t) return last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((track[mid] as PositionPoint).t <= t) lo = mid;
    else hi = mid;
  }
  const a = track[lo] as PositionPoint;
  const b = track[hi] as PositionPoint;
  if (b.t - a.t > gapMs) return a;
  const f = (t - a.t) / (b.t - a.t || 1);
  return {
    lon: a.lon + (b.lon - a.lon) * f,
    lat: a.lat + (b.lat - a.lat) * f,
    headingDeg: b.headingDeg ?? a.headingDeg,
    speedKmh:
      a.speedKmh === null || b.speedKmh === null
        ? (a.speedKmh ?? b.speedKmh)
        : a.speedKmh + (b.speedKmh - a.speedKmh) * f,
  };
}

interface SeriesPoint {
  t: number;
  value: number;
}

/** The reading of a series at `t`: its latest point at or before it (with when it was read). */
export function readingAt(points: readonly SeriesPoint[], t: number): SeriesPoint | null {
  let lo = 0;
  let hi = points.length - 1;
  if (hi < 0 || (points[0] as SeriesPoint).t > t) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((points[mid] as SeriesPoint).t <= t) lo = mid;
    else hi = mid - 1;
  }
  return points[lo] as SeriesPoint;
}

/** The value of a series at `t`: the latest point at or before it. */
export function valueAt(points: readonly SeriesPoint[], t: number): number | null {
  return readingAt(points, t)?.value ?? null;
}

/** A reading this far behind the replay's time, or less, is current: no older than live ones get. */
export const READING_CURRENT_MIN_MS = 10_000;
/** A reading stands for this many of its series' usual intervals: two polls may be missed (the adapter busy, slow to answer). */
const CURRENT_FOR_INTERVALS = 3;
/** Intervals needed for their median; with fewer, the shortest is the best guess. */
const INTERVALS_FOR_MEDIAN = 3;

/**
 * How long after it was read a reading of this series still stands for the
 * replay's time: three of its usual intervals, and never less than 10 s (a
 * 1 Hz speed, as the live panel marks values after 10 s of silence; a
 * temperature read every 30 s, 90 s). The usual interval is the median one
 * in the series itself: the companion's polling plan is its own (and can be
 * configured), a thinned series is read once per bucket, and a median is not
 * moved by the long gaps of an engine switched off. A slow series in a short
 * trip has only a gap or two: the shortest of them (a gap is a poll interval
 * or more, when polls were missed); none at all, and the 10 s. Past that, the
 * value is the last known one, and says how old it is.
 */
export function readingCurrentForMs(points: readonly SeriesPoint[]): number {
  const intervals: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const d = (points[i] as SeriesPoint).t - (points[i - 1] as SeriesPoint).t;
    if (d > 0) intervals.push(d);
  }
  if (intervals.length === 0) return READING_CURRENT_MIN_MS;
  intervals.sort((a, b) => a - b);
  const usual = (
    intervals.length < INTERVALS_FOR_MEDIAN ? intervals[0] : intervals[intervals.length >> 1]
  ) as number;
  return Math.max(READING_CURRENT_MIN_MS, CURRENT_FOR_INTERVALS * usual);
}

/**
 * Closes the replay when its vehicle stops being the selected one (closed
 * with Esc or ×, or another chosen, by any means): its track and cursor
 * would otherwise stay on the map beside a vehicle they do not belong to.
 * Returns the unsubscribe.
 */
export function closeReplayWithSelection(ui: UiStore, history: HistoryStore): () => void {
  return ui.subscribe((s, prev) => {
    if (s.selectedId === prev.selectedId) return;
    const { range } = history.getState();
    if (range && range.vehicleId !== s.selectedId) history.getState().closeReplay();
  });
}
