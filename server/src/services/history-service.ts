import { EventQuerySchema, HistoryQuerySchema } from '@fleetline/protocol';
import type {
  FleetEvent,
  PositionHistory,
  ReadingHistory,
  Trip,
  TripList,
} from '@fleetline/protocol';
import type { EventRepository } from '../repositories/events.js';
import type { TelemetryRepository } from '../repositories/telemetry.js';
import type { AccessPolicy, AuthenticatedUser } from './access.js';
import { parseOrThrow } from './validation.js';

/** How far past a range to look for the end of a trip that starts inside it. */
const TRIP_END_LOOKAHEAD_MS = 24 * 3600 * 1000;

/** Time-bucket width that brings `count` points spread over `rangeMs` down to at most `maxPoints`. */
export function bucketWidth(count: number, rangeMs: number, maxPoints: number): number {
  return count <= maxPoints ? 0 : Math.ceil(rangeMs / maxPoints);
}

export class HistoryService {
  constructor(
    private readonly telemetry: TelemetryRepository,
    private readonly events: EventRepository,
    private readonly access: AccessPolicy,
  ) {}

  async positions(
    user: AuthenticatedUser,
    vehicleId: number,
    query: unknown,
  ): Promise<PositionHistory> {
    const q = parseOrThrow(HistoryQuerySchema, query, ['query']);
    await this.access.assertVehicleVisible(user, vehicleId);
    const count = await this.telemetry.countPositions(vehicleId, q.from, q.to);
    const bucketMs = bucketWidth(count, q.to - q.from, q.maxPoints);
    const points = await this.telemetry.positions(vehicleId, q.from, q.to, bucketMs);
    return { vehicleId, from: q.from, to: q.to, downsampled: bucketMs > 0, bucketMs, points };
  }

  async readings(
    user: AuthenticatedUser,
    vehicleId: number,
    query: unknown,
  ): Promise<ReadingHistory> {
    const q = parseOrThrow(HistoryQuerySchema, query, ['query']);
    await this.access.assertVehicleVisible(user, vehicleId);
    const largest = await this.telemetry.largestReadingSeries(vehicleId, q.from, q.to, q.pid);
    const bucketMs = bucketWidth(largest, q.to - q.from, q.maxPoints);
    const series = await this.telemetry.readings(vehicleId, q.from, q.to, bucketMs, q.pid);
    return { vehicleId, from: q.from, to: q.to, downsampled: bucketMs > 0, bucketMs, series };
  }

  /**
   * Trips whose start lies in [from, to), paired from the companion's
   * trip_start and trip_end events. A start without an end is a trip still
   * going (or one whose end was never reported); an end whose start came
   * before `from` is left to the earlier range.
   */
  async trips(user: AuthenticatedUser, vehicleId: number, query: unknown): Promise<TripList> {
    const q = parseOrThrow(HistoryQuerySchema, query, ['query']);
    await this.access.assertVehicleVisible(user, vehicleId);
    // Look past `to` for the ends of trips that start inside the range.
    const events = await this.events.timeline(
      vehicleId,
      ['trip_start', 'trip_end'],
      q.from,
      q.to + TRIP_END_LOOKAHEAD_MS,
      10_000,
    );
    const trips: Trip[] = [];
    let open: Trip | undefined;
    const at = (e: FleetEvent) =>
      'lat' in e.data && e.data.lat !== null && e.data.lon !== null
        ? { lat: e.data.lat, lon: e.data.lon }
        : null;
    for (const e of events) {
      if (e.type === 'trip_start') {
        if (e.t >= q.to) break;
        if (open) trips.push(open);
        open = {
          startT: e.t,
          endT: null,
          durationS: null,
          distanceKm: null,
          start: at(e),
          end: null,
        };
      } else if (e.type === 'trip_end' && open) {
        const data = e.data as { durationS: number | null; distanceKm: number | null };
        trips.push({
          ...open,
          endT: e.t,
          durationS: data.durationS ?? (e.t - (open.startT ?? e.t)) / 1000,
          distanceKm: data.distanceKm,
          end: at(e),
        });
        open = undefined;
      }
    }
    if (open) trips.push(open);
    return { vehicleId, from: q.from, to: q.to, trips };
  }

  async eventLog(user: AuthenticatedUser, query: unknown): Promise<{ events: FleetEvent[] }> {
    const q = parseOrThrow(EventQuerySchema, query, ['query']);
    if (q.vehicleId !== undefined) await this.access.assertVehicleVisible(user, q.vehicleId);
    const events = await this.events.find({
      visibility: this.access.visibility(user),
      ...(q.vehicleId !== undefined ? { vehicleId: q.vehicleId } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.type ? { types: q.type } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
      limit: q.limit,
    });
    return { events };
  }
}
