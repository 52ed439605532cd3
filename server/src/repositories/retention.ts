import type { Knex } from 'knex';

/** Tables of samples: keyed by (device_id, seq), indexed by (vehicle_id, t). */
export const TELEMETRY_TABLES = [
  'positions',
  'readings',
  'dtc_reports',
  'device_statuses',
] as const;
/** Every table of samples: telemetry, and what companions derive about the driving. */
export const SAMPLE_TABLES = [...TELEMETRY_TABLES, 'driving_events'] as const;
export type SampleTable = (typeof SAMPLE_TABLES)[number];

/**
 * Deletes history older than a cutoff, a bounded number of rows per
 * statement, so that each statement is a short transaction: on SQLite the
 * ingest ticks wait behind one chunk at most, never behind the whole sweep.
 * Every delete goes through an index (vehicle_id, t) or (t), never a scan of
 * a table that may hold billions of rows.
 */
export class RetentionRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * The highest vehicle id that may own history: of the vehicles, and of the
   * rows in these tables, which outlive a vehicle deleted straight from the
   * database (they have no foreign key). Each MAX is one index lookup.
   */
  async highestVehicleId(tables: readonly SampleTable[]): Promise<number> {
    let highest = 0;
    for (const table of ['vehicles', ...tables]) {
      const column = table === 'vehicles' ? 'id' : 'vehicle_id';
      const [row] = await this.knex(table).max({ n: column });
      highest = Math.max(highest, Number(row?.n ?? 0));
    }
    return highest;
  }

  /** Deletes up to `limit` samples of these vehicles taken before `cutoff`; returns how many went. */
  async deleteSamples(
    table: SampleTable,
    vehicleIds: number[],
    cutoff: number,
    limit: number,
  ): Promise<number> {
    return this.knex(table)
      .whereIn(
        ['device_id', 'seq'],
        this.knex(table)
          .select('device_id', 'seq')
          .whereIn('vehicle_id', vehicleIds)
          .where('t', '<', cutoff)
          .limit(limit),
      )
      .delete();
  }

  /** How many samples of these vehicles were taken before `cutoff` (a dry run). */
  async countSamples(table: SampleTable, vehicleIds: number[], cutoff: number): Promise<number> {
    const [row] = await this.knex(table)
      .whereIn('vehicle_id', vehicleIds)
      .where('t', '<', cutoff)
      .count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** How many fleet events (of one vehicle, if given) happened before `cutoff` (a dry run). */
  async countEvents(cutoff: number, vehicleId?: number): Promise<number> {
    const query = this.knex('events').where('t', '<', cutoff);
    if (vehicleId !== undefined) query.where('vehicle_id', vehicleId);
    const [row] = await query.count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** Deletes up to `limit` fleet events (of one vehicle, if given) that happened before `cutoff`. */
  async deleteEvents(cutoff: number, limit: number, vehicleId?: number): Promise<number> {
    const ids = this.knex('events').select('id').where('t', '<', cutoff).limit(limit);
    if (vehicleId !== undefined) ids.where('vehicle_id', vehicleId);
    return this.knex('events').whereIn('id', ids).delete();
  }
}
