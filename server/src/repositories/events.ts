import type { Knex } from 'knex';
import { FleetEventSchema } from '@fleetline/protocol';
import type { EventType, FleetEvent, NewFleetEvent } from '@fleetline/protocol';
import type { Dialect, TableSpec } from '../db/dialect.js';
import type { StatementRequest } from '../db/steps.js';
import { maxId, toNumber } from './types.js';

const EVENTS: TableSpec = {
  name: 'events',
  columns: [
    { name: 'vehicle_id', type: 'integer' },
    { name: 'type', type: 'text' },
    { name: 't', type: 'bigint' },
    { name: 'recorded_at', type: 'bigint' },
    { name: 'late', type: 'boolean' },
    { name: 'data', type: 'text' },
  ],
};

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
  /** Only events with an id above this (catching up, oldest first unless `newestFirst`). */
  after?: number;
  /** With `after`: the newest `limit` of them instead of the oldest, newest first. */
  newestFirst?: boolean;
  limit: number;
}

export class EventRepository {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /** Statements storing events, each returning the new row. */
  insertStatements(events: readonly NewFleetEvent[], recordedAt: number): StatementRequest[] {
    if (events.length === 0) return [];
    const rows = events.map((e) => [
      e.vehicleId,
      e.type,
      e.t,
      recordedAt,
      e.late,
      JSON.stringify(e.data),
    ]);
    return this.dialect.bulk.insertReturning(EVENTS, rows, [
      'id',
      'vehicle_id',
      'type',
      't',
      'data',
    ]);
  }

  /**
   * The events as stored, with their ids, from what `insertStatements`
   * returned. RETURNING order is not promised, so rows are matched by
   * content; two events with identical content are interchangeable.
   */
  stored(
    events: readonly NewFleetEvent[],
    returned: readonly unknown[],
    recordedAt: number,
  ): FleetEvent[] {
    const keyOf = (vehicleId: number, type: string, t: number, data: string) =>
      `${vehicleId}|${type}|${t}|${data}`;
    const ids = new Map<string, number[]>();
    for (const r of returned as EventRow[]) {
      const key = keyOf(toNumber(r.vehicle_id), r.type, toNumber(r.t), r.data);
      ids.set(key, [...(ids.get(key) ?? []), toNumber(r.id)]);
    }
    return events.map((e) => {
      const id = ids.get(keyOf(e.vehicleId, e.type, e.t, JSON.stringify(e.data)))?.shift();
      if (id === undefined) throw new Error('a stored event was not returned');
      return { ...e, id, recordedAt };
    });
  }

  /** One vehicle's events of some types in [from, to), in time order. */
  async timeline(
    vehicleId: number,
    types: readonly EventType[],
    from: number,
    to: number,
    limit: number,
  ): Promise<FleetEvent[]> {
    const rows = await this.knex<EventRow>('events')
      .where({ vehicle_id: vehicleId })
      .whereIn('type', types)
      .where('t', '>=', from)
      .where('t', '<', to)
      .orderBy([{ column: 't' }, { column: 'id' }])
      .limit(limit);
    return rows.map((row) => this.toEvent(row));
  }

  /**
   * Every event after `afterId`, oldest first, at most `limit`, as a
   * statement for the ingest writer's own transaction; `fromRows` reads it.
   */
  afterStatement(afterId: number, limit: number): StatementRequest {
    return {
      sql: 'SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?',
      params: [afterId, limit],
      returns: true,
    };
  }

  fromRows(rows: readonly unknown[]): FleetEvent[] {
    return (rows as EventRow[]).map((row) => this.toEvent(row));
  }

  /** The id of the newest stored event, 0 when there is none. */
  latestId(): Promise<number> {
    return maxId(this.knex, 'events');
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
    const ascending = filter.after !== undefined && filter.newestFirst !== true;
    q.orderBy('id', ascending ? 'asc' : 'desc').limit(filter.limit);
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
