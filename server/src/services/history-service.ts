import { EventQuerySchema, HistoryQuerySchema } from '@fleetline/protocol';
import type { FleetEvent, PositionHistory, ReadingHistory } from '@fleetline/protocol';
import type { EventRepository } from '../repositories/events.js';
import type { TelemetryRepository } from '../repositories/telemetry.js';
import type { AccessPolicy, AuthenticatedUser } from './access.js';
import { parseOrThrow } from './validation.js';

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
