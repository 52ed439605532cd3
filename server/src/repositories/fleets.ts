import type { Knex } from 'knex';
import type { Fleet } from '@fleetline/protocol';
import { toNumber } from './types.js';
import type { Queryable } from './types.js';

interface FleetRow {
  id: number;
  name: string;
  overspeed_limit_kmh: number;
}

const toFleet = (row: FleetRow): Fleet => ({
  id: toNumber(row.id),
  name: row.name,
  overspeedLimitKmh: toNumber(row.overspeed_limit_kmh),
});

export class FleetRepository {
  constructor(private readonly knex: Knex) {}

  async list(ids?: readonly number[]): Promise<Fleet[]> {
    const query = this.knex<FleetRow>('fleets').orderBy('id');
    if (ids) query.whereIn('id', ids);
    return (await query).map(toFleet);
  }

  async findByName(name: string): Promise<Fleet | undefined> {
    const row = await this.knex<FleetRow>('fleets').where({ name }).first();
    return row ? toFleet(row) : undefined;
  }

  /** Those of `ids` that exist. */
  async existing(ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.knex('fleets').whereIn('id', ids).select<{ id: number }[]>('id');
    return rows.map((r) => toNumber(r.id));
  }

  async create(
    q: Queryable,
    fleet: { name: string; overspeedLimitKmh: number; now: number },
  ): Promise<number> {
    const [row] = await q('fleets')
      .insert({
        name: fleet.name,
        overspeed_limit_kmh: fleet.overspeedLimitKmh,
        created_at: fleet.now,
      })
      .returning<{ id: number }[]>('id');
    return toNumber(row?.id);
  }
}
