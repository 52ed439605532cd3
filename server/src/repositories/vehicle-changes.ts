import type { Knex } from 'knex';
import { maxId, toNumber } from './types.js';
import type { Queryable } from './types.js';

export interface VehicleChange {
  id: number;
  vehicleId: number;
}

interface ChangeRow {
  id: number | string;
  vehicle_id: number | string;
}

function toChange(row: ChangeRow): VehicleChange {
  return { id: toNumber(row.id), vehicleId: toNumber(row.vehicle_id) };
}

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
  latestId(): Promise<number> {
    return maxId(this.knex, 'vehicle_changes');
  }

  /** Changes with an id above `afterId`, oldest first, at most `limit`. */
  async after(afterId: number, limit: number): Promise<VehicleChange[]> {
    const rows = await this.knex('vehicle_changes')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select<ChangeRow[]>('id', 'vehicle_id');
    return rows.map(toChange);
  }

  /** The changes among `ids` that exist (are committed) now. */
  async byIds(ids: readonly number[]): Promise<VehicleChange[]> {
    const found: VehicleChange[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.knex('vehicle_changes')
        .whereIn('id', ids.slice(i, i + 1000))
        .select<ChangeRow[]>('id', 'vehicle_id');
      found.push(...rows.map(toChange));
    }
    return found;
  }

  /** Deletes changes recorded before `before` (every reader has long read them). */
  async prune(before: number): Promise<number> {
    return this.knex('vehicle_changes').where('changed_at', '<', before).delete();
  }
}
