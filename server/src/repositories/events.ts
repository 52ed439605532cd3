import type { Knex } from 'knex';
import { FleetEventSchema } from '@fleetline/protocol';
import type { EventType, FleetEvent, NewFleetEvent } from '@fleetline/protocol';
import type { Dialect } from '../db/dialect.js';
import { toNumber } from './types.js';
import type { Queryable } from './types.js';

/** Which vehicles a reader may see: everything, or those in some fleets. */
export type Visibility = { all: true } | { all: false; fleetIds: readonly number[] };

interface EventRow {
  id: number;
  vehicle_id: number;
  type: EventType;
  t: number;
  recorded_at: number;
  late: unknown;
  data: string;
}

export interface EventFilter {
  visibility: Visibility;
  vehicleId?: number;
  from?: number;
  to?: number;
  types?: readonly EventType[];
  /** Only events with an id below this (paging backwards, newest first). */
  before?: number;
  /** Only events with an id above this (catching up, oldest first). */
  after?: number;
  limit: number;
}

export class EventRepository {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /** Stores events and returns them with their ids, in the order given. */
  async insert(
    q: Queryable,
    events: readonly NewFleetEvent[],
    recordedAt: number,
  ): Promise<FleetEvent[]> {
    const stored: FleetEvent[] = [];
    // Bounded chunks keep each statement under SQLite's bound-parameter limit.
    for (let i = 0; i < events.length; i += 500) {
      const chunk = events.slice(i, i + 500);
      const rows = chunk.map((e) => ({
        vehicle_id: e.vehicleId,
        type: e.type,
        t: e.t,
        recorded_at: recordedAt,
        late: e.late,
        data: JSON.stringify(e.data),
      }));
      const returned = await q('events')
        .insert(rows)
        .returning<EventRow[]>(['id', 'vehicle_id', 'type', 't', 'data']);
      // RETURNING order is not promised by SQLite: match rows by content. Two
      // events with identical content are interchangeable, so any match is right.
      const ids = new Map<string, number[]>();
      for (const r of returned) {
        const key = `${toNumber(r.vehicle_id)}|${r.type}|${toNumber(r.t)}|${r.data}`;
        ids.set(key, [...(ids.get(key) ?? []), toNumber(r.id)]);
      }
      chunk.forEach((e, j) => {
        const row = rows[j]!;
        const key = `${row.vehicle_id}|${row.type}|${row.t}|${row.data}`;
        const id = ids.get(key)?.shift();
        if (id === undefined) throw new Error('inserted event not returned');
        stored.push({ ...e, id, recordedAt });
      });
    }
    return stored;
  }

  async find(filter: EventFilter): Promise<FleetEvent[]> {
    const q = this.knex<EventRow>('events');
    if (!filter.visibility.all) {
      q.whereIn(
        'vehicle_id',
        this.knex('fleet_vehicles')
          .whereIn('fleet_id', filter.visibility.fleetIds)
          .select('vehicle_id'),
      );
    }
    if (filter.vehicleId !== undefined) q.where('vehicle_id', filter.vehicleId);
    if (filter.from !== undefined) q.where('t', '>=', filter.from);
    if (filter.to !== undefined) q.where('t', '<', filter.to);
    if (filter.types) q.whereIn('type', filter.types);
    if (filter.before !== undefined) q.where('id', '<', filter.before);
    if (filter.after !== undefined) q.where('id', '>', filter.after);
    q.orderBy('id', filter.after !== undefined ? 'asc' : 'desc').limit(filter.limit);
    return (await q).map((row) => this.toEvent(row));
  }

  private toEvent(row: EventRow): FleetEvent {
    return FleetEventSchema.parse({
      id: toNumber(row.id),
      vehicleId: toNumber(row.vehicle_id),
      type: row.type,
      t: toNumber(row.t),
      recordedAt: toNumber(row.recorded_at),
      late: this.dialect.readBoolean(row.late) ?? false,
      data: JSON.parse(row.data) as unknown,
    });
  }
}
