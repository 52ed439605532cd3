import type { Knex } from 'knex';
import { toNumber } from './types.js';
import type { Queryable } from './types.js';

/**
 * The change feed of vehicle records: every account operation that changes a
 * vehicle (registration, driver, device) adds a row in its own transaction,
 * whichever process ran it, and a running server reads what is new.
 */
export class VehicleChangeRepository {
  constructor(private readonly knex: Knex) {}

  async record(q: Queryable, vehicleIds: readonly number[], now: number): Promise<void> {
    if (vehicleIds.length === 0) return;
    await q('vehicle_changes').insert(
      vehicleIds.map((vehicleId) => ({ vehicle_id: vehicleId, changed_at: now })),
    );
  }

  /** The id of the newest change: where a reader that starts now begins. */
  async latestId(): Promise<number> {
    const row = await this.knex('vehicle_changes').max<{ id: unknown }>({ id: 'id' }).first();
    return row?.id == null ? 0 : toNumber(row.id);
  }

  /** Changes after `afterId`, oldest first, at most `limit`: their vehicles and the last id read. */
  async since(
    afterId: number,
    limit = 1000,
  ): Promise<{ lastId: number; vehicleIds: number[]; more: boolean }> {
    const rows = await this.knex('vehicle_changes')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit + 1)
      .select<{ id: number | string; vehicle_id: number | string }[]>('id', 'vehicle_id');
    const taken = rows.slice(0, limit);
    return {
      lastId: taken.length > 0 ? toNumber(taken.at(-1)!.id) : afterId,
      vehicleIds: [...new Set(taken.map((r) => toNumber(r.vehicle_id)))],
      more: rows.length > limit,
    };
  }

  /** Deletes changes recorded before `before` (every reader has long read them). */
  async prune(before: number): Promise<number> {
    return this.knex('vehicle_changes').where('changed_at', '<', before).delete();
  }
}
