import type { Knex } from 'knex';
import type { DriverRef } from '@fleetline/protocol';
import { toNumber } from './types.js';
import type { Queryable } from './types.js';
import type { StatementRequest } from '../db/steps.js';

/** A vehicle with its fleets, its strictest speed limit and its current device. */
export interface VehicleRecord {
  id: number;
  name: string;
  plate: string | null;
  vin: string | null;
  fleetIds: number[];
  /** The lowest overspeed limit of its fleets, km/h. */
  overspeedLimitKmh: number | null;
  deviceId: number | null;
  driver: DriverRef | null;
}

interface VehicleRow {
  id: number;
  name: string;
  plate: string | null;
  vin: string | null;
  driver_user_id: number | null;
  driver_name: string | null;
}

export class VehicleRepository {
  constructor(private readonly knex: Knex) {}

  async create(
    q: Queryable,
    vehicle: {
      name: string;
      plate: string | null;
      vin: string | null;
      driverUserId: number | null;
      now: number;
    },
  ): Promise<number> {
    const [row] = await q('vehicles')
      .insert({
        name: vehicle.name,
        plate: vehicle.plate,
        vin: vehicle.vin,
        driver_user_id: vehicle.driverUserId,
        created_at: vehicle.now,
      })
      .returning<{ id: number }[]>('id');
    return toNumber(row?.id);
  }

  async addToFleets(q: Queryable, vehicleId: number, fleetIds: readonly number[]): Promise<void> {
    await q('fleet_vehicles')
      .insert(fleetIds.map((fleetId) => ({ fleet_id: fleetId, vehicle_id: vehicleId })))
      .onConflict(['fleet_id', 'vehicle_id'])
      .ignore();
  }

  /** Returns false when the vehicle does not exist. */
  async setDriver(q: Queryable, vehicleId: number, userId: number | null): Promise<boolean> {
    return (await q('vehicles').where({ id: vehicleId }).update({ driver_user_id: userId })) > 0;
  }

  async findByPlate(plate: string): Promise<{ id: number; name: string } | undefined> {
    const row = await this.knex('vehicles')
      .where({ plate })
      .first<{ id: number; name: string } | undefined>('id', 'name');
    return row ? { id: toNumber(row.id), name: row.name } : undefined;
  }

  /**
   * A transaction guard: one row for each of these vehicles that still
   * exists. Run with `expectRows` set to their count, it rolls the
   * transaction back if one was deleted.
   */
  existingStatement(vehicleIds: readonly number[]): StatementRequest {
    return {
      sql: `SELECT id FROM vehicles WHERE id IN (${vehicleIds.map(() => '?').join(', ')})`,
      params: [...vehicleIds],
      returns: true,
    };
  }

  async exists(id: number): Promise<boolean> {
    return (await this.knex('vehicles').where({ id }).first('id')) !== undefined;
  }

  /** Ids of the vehicles in any of `fleetIds`. */
  async idsInFleets(fleetIds: readonly number[]): Promise<number[]> {
    if (fleetIds.length === 0) return [];
    const rows = await this.knex('fleet_vehicles')
      .whereIn('fleet_id', fleetIds)
      .distinct<{ vehicle_id: number }[]>('vehicle_id');
    return rows.map((r) => toNumber(r.vehicle_id)).sort((a, b) => a - b);
  }

  /** Full records, for all vehicles or for `ids`. */
  async records(ids?: readonly number[]): Promise<VehicleRecord[]> {
    const vehicles = this.knex('vehicles as v')
      .leftJoin('users as u', 'u.id', 'v.driver_user_id')
      .orderBy('v.id')
      .select<VehicleRow[]>(
        'v.id',
        'v.name',
        'v.plate',
        'v.vin',
        'v.driver_user_id',
        'u.name as driver_name',
      );
    const memberships = this.knex('fleet_vehicles as fv')
      .join('fleets as f', 'f.id', 'fv.fleet_id')
      .select('fv.vehicle_id', 'fv.fleet_id', 'f.overspeed_limit_kmh');
    const devices = this.knex('devices').whereNull('revoked_at').select('id', 'vehicle_id');
    if (ids) {
      if (ids.length === 0) return [];
      vehicles.whereIn('v.id', ids);
      memberships.whereIn('fv.vehicle_id', ids);
      devices.whereIn('vehicle_id', ids);
    }
    const [vehicleRows, membershipRows, deviceRows] = await Promise.all([
      vehicles,
      memberships as Promise<
        { vehicle_id: number; fleet_id: number; overspeed_limit_kmh: number }[]
      >,
      devices as Promise<{ id: number; vehicle_id: number }[]>,
    ]);
    const byVehicle = new Map<number, VehicleRecord>();
    for (const row of vehicleRows) {
      const id = toNumber(row.id);
      byVehicle.set(id, {
        id,
        name: row.name,
        plate: row.plate,
        vin: row.vin,
        fleetIds: [],
        overspeedLimitKmh: null,
        deviceId: null,
        driver:
          row.driver_user_id === null
            ? null
            : { id: toNumber(row.driver_user_id), name: row.driver_name ?? '' },
      });
    }
    for (const m of membershipRows) {
      const record = byVehicle.get(toNumber(m.vehicle_id));
      if (!record) continue;
      record.fleetIds.push(toNumber(m.fleet_id));
      const limit = toNumber(m.overspeed_limit_kmh);
      record.overspeedLimitKmh =
        record.overspeedLimitKmh === null ? limit : Math.min(record.overspeedLimitKmh, limit);
    }
    for (const d of deviceRows) {
      const record = byVehicle.get(toNumber(d.vehicle_id));
      if (record) record.deviceId = Math.max(record.deviceId ?? 0, toNumber(d.id));
    }
    for (const record of byVehicle.values()) record.fleetIds.sort((a, b) => a - b);
    return [...byVehicle.values()];
  }
}
