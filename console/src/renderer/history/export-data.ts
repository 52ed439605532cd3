import type { EventType, FleetEvent, PositionPoint, ReadingSeries } from '@fleetline/protocol';
import type { ApiClient } from '../api/client';

/**
 * Exports hold every value recorded, never the thinned track the replay
 * draws: the history API thins a range that holds more than `maxPoints`
 * (docs/API.md, "History"), so the range is asked for in pieces small enough
 * to come back whole (`downsampled: false`), halving any piece that does not.
 */

/** The most the history API sends in one answer. */
export const EXPORT_PAGE_POINTS = 20_000;
/** The most the event log sends in one page. */
export const EXPORT_EVENT_PAGE = 1000;
/**
 * Rows one export may hold: about a day of 10 Hz positions, or a day of a
 * dozen readings at 1 Hz. More would not open in a spreadsheet, nor fit the
 * desktop's save limit; the dispatcher is asked for a shorter range instead.
 */
export const MAX_EXPORT_ROWS = 1_000_000;

export class ExportTooLargeError extends Error {
  constructor(what: string, limit: number) {
    super(
      `the range holds more than ${limit.toLocaleString()} ${what}: export a shorter one (a trip rather than the whole day)`,
    );
    this.name = 'ExportTooLargeError';
  }
}

interface Options {
  maxRows?: number;
}

/**
 * Asks for [from, to) page by page, oldest first, splitting any piece the
 * server would thin, and hands each whole answer to `take`.
 */
async function whole<T extends { downsampled: boolean }>(
  from: number,
  to: number,
  fetchPiece: (from: number, to: number) => Promise<T>,
  take: (answer: T) => void,
): Promise<void> {
  // A stack with the earliest piece on top: answers arrive in time order.
  const pieces: [number, number][] = [[from, to]];
  for (let piece = pieces.pop(); piece; piece = pieces.pop()) {
    const [a, b] = piece;
    const answer = await fetchPiece(a, b);
    if (!answer.downsampled) {
      take(answer);
      continue;
    }
    // More than a page in two milliseconds cannot happen with real devices; refuse to loop.
    if (b - a < 2) throw new Error('the server thins even the smallest range');
    const mid = a + Math.floor((b - a) / 2);
    pieces.push([mid, b], [a, mid]);
  }
}

/** Every position recorded in [from, to), oldest first. */
export async function allPositions(
  api: Pick<ApiClient, 'positions'>,
  vehicleId: number,
  from: number,
  to: number,
  { maxRows = MAX_EXPORT_ROWS }: Options = {},
): Promise<PositionPoint[]> {
  const points: PositionPoint[] = [];
  await whole(
    from,
    to,
    (a, b) => api.positions(vehicleId, a, b, EXPORT_PAGE_POINTS),
    (answer) => {
      points.push(...answer.points);
      if (points.length > maxRows) throw new ExportTooLargeError('positions', maxRows);
    },
  );
  return points;
}

/** Every reading recorded in [from, to), one series per (pid, part), oldest first. */
export async function allReadings(
  api: Pick<ApiClient, 'readings'>,
  vehicleId: number,
  from: number,
  to: number,
  { maxRows = MAX_EXPORT_ROWS }: Options = {},
): Promise<ReadingSeries[]> {
  const series = new Map<string, ReadingSeries>();
  let rows = 0;
  await whole(
    from,
    to,
    (a, b) => api.readings(vehicleId, a, b, EXPORT_PAGE_POINTS),
    (answer) => {
      for (const s of answer.series) {
        const key = `${s.pid}:${s.part}`;
        const known = series.get(key);
        if (known) known.points.push(...s.points);
        else series.set(key, { ...s, points: [...s.points] });
        rows += s.points.length;
      }
      if (rows > maxRows) throw new ExportTooLargeError('readings', maxRows);
    },
  );
  return [...series.values()];
}

/**
 * Every event in [from, to) of a vehicle (undefined: of every vehicle the
 * user may see), of the given kinds (none: all), newest first (the log
 * pages backwards by id).
 */
export async function allEvents(
  api: Pick<ApiClient, 'events'>,
  vehicleId: number | undefined,
  from: number,
  to: number,
  { maxRows = MAX_EXPORT_ROWS, types }: Options & { types?: readonly EventType[] } = {},
): Promise<FleetEvent[]> {
  const events: FleetEvent[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await api.events({
      vehicleId,
      from,
      to,
      types,
      before,
      limit: EXPORT_EVENT_PAGE,
    });
    events.push(...page);
    if (events.length > maxRows) throw new ExportTooLargeError('events', maxRows);
    if (page.length < EXPORT_EVENT_PAGE) return events;
    const oldest = Math.min(...page.map((e) => e.id));
    // A page that does not move backwards would repeat forever.
    if (before !== undefined && oldest >= before) return events;
    before = oldest;
  }
}
