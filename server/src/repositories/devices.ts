import type { Knex } from 'knex';
import { toNullableNumber, toNumber } from './types.js';
import type { Queryable } from './types.js';

export interface DeviceRecord {
  id: number;
  vehicleId: number;
  revokedAt: number | null;
  /** The outbox of the last connection that sent telemetry with this device's token. */
  lastOutboxId: string | null;
}

interface DeviceRow {
  id: number;
  vehicle_id: number;
  revoked_at: number | null;
  last_outbox_id: string | null;
}

const toRecord = (row: DeviceRow): DeviceRecord => ({
  id: toNumber(row.id),
  vehicleId: toNumber(row.vehicle_id),
  revokedAt: toNullableNumber(row.revoked_at),
  lastOutboxId: row.last_outbox_id ?? null,
});

/** Ids per lookup, well under both databases' parameter limits. */
const ID_CHUNK = 1000;

export class DeviceRepository {
  constructor(private readonly knex: Knex) {}

  async create(
    q: Queryable,
    device: { vehicleId: number; tokenHash: string; now: number },
  ): Promise<number> {
    const [row] = await q('devices')
      .insert({
        vehicle_id: device.vehicleId,
        token_hash: device.tokenHash,
        created_at: device.now,
      })
      .returning<{ id: number }[]>('id');
    return toNumber(row?.id);
  }

  async findByTokenHash(tokenHash: string): Promise<DeviceRecord | undefined> {
    const row = (await this.knex('devices').where({ token_hash: tokenHash }).first()) as
      DeviceRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  async findById(id: number): Promise<DeviceRecord | undefined> {
    const row = await this.knex<DeviceRow>('devices').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  /** Records the outbox a device's connection named (null: it named none). */
  async setLastOutbox(id: number, outboxId: string | null): Promise<void> {
    await this.knex('devices').where({ id }).update({ last_outbox_id: outboxId });
  }

  /** Revokes one device; false when it does not exist or was already revoked. */
  async revoke(q: Queryable, id: number, now: number): Promise<boolean> {
    const changed = await q('devices')
      .where({ id })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
    return changed > 0;
  }

  /** Revokes every active device of a vehicle (before issuing a new one); returns their ids. */
  async revokeActiveForVehicle(q: Queryable, vehicleId: number, now: number): Promise<number[]> {
    const rows = await q('devices')
      .where({ vehicle_id: vehicleId })
      .whereNull('revoked_at')
      .select<{ id: number }[]>('id');
    if (rows.length === 0) return [];
    await q('devices')
      .where({ vehicle_id: vehicleId })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
    return rows.map((r) => toNumber(r.id));
  }

  /**
   * Of these devices, the ones that may no longer connect: revoked, or gone
   * from the database (deleted with their vehicle, by SQL or another process).
   */
  async noLongerAllowed(deviceIds: readonly number[]): Promise<number[]> {
    const allowed = new Set<number>();
    for (let i = 0; i < deviceIds.length; i += ID_CHUNK) {
      const rows = await this.knex('devices')
        .whereIn('id', deviceIds.slice(i, i + ID_CHUNK))
        .whereNull('revoked_at')
        .select<{ id: number }[]>('id');
      for (const row of rows) allowed.add(toNumber(row.id));
    }
    return deviceIds.filter((id) => !allowed.has(id));
  }
}
