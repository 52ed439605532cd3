import type { Knex } from 'knex';
import type {
  DtcKind,
  DtcState,
  FixQuality,
  GpsReceiverState,
  ObdLinkState,
  ReadingState,
} from '@fleetline/protocol';
import type { Dialect, TableSpec } from '../db/dialect.js';
import type { StatementRequest } from '../db/steps.js';
import type { LiveVehicleState } from '../live/vehicle-state.js';
import { readingKey } from '../live/vehicle-state.js';
import { FIX_COLUMNS } from './telemetry.js';
import { toNullableNumber, toNumber } from './types.js';

const VEHICLE_STATES: TableSpec = {
  name: 'vehicle_states',
  columns: [
    { name: 'vehicle_id', type: 'integer' },
    { name: 'online', type: 'boolean' },
    { name: 'last_seen_at', type: 'bigint' },
    { name: 'overspeed', type: 'boolean' },
    { name: 'position_t', type: 'bigint' },
    ...FIX_COLUMNS,
    { name: 'status_t', type: 'bigint' },
    { name: 'battery_v', type: 'double' },
    { name: 'ignition', type: 'boolean' },
    { name: 'gps_fix', type: 'text' },
    { name: 'obd_link', type: 'text' },
    { name: 'gps_receiver', type: 'text' },
    { name: 'backlog', type: 'bigint' },
    { name: 'readings', type: 'text' },
    { name: 'dtcs', type: 'text' },
    { name: 'updated_at', type: 'bigint' },
  ],
};

interface StateRow {
  vehicle_id: number;
  online: unknown;
  last_seen_at: number | null;
  overspeed: unknown;
  position_t: number | null;
  lat: number | null;
  lon: number | null;
  speed_kmh: number | null;
  heading_deg: number | null;
  altitude_m: number | null;
  hdop: number | null;
  satellites: number | null;
  fix_quality: FixQuality | null;
  status_t: number | null;
  battery_v: number | null;
  ignition: unknown;
  gps_fix: FixQuality | null;
  obd_link: ObdLinkState | null;
  gps_receiver: GpsReceiverState | null;
  backlog: number | string | null;
  readings: string;
  dtcs: string;
}

export class VehicleStateRepository {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /** The persisted state of every vehicle, or of `vehicleIds`. */
  async loadAll(vehicleIds?: readonly number[]): Promise<Map<number, LiveVehicleState>> {
    if (vehicleIds?.length === 0) return new Map();
    const query = this.knex('vehicle_states');
    if (vehicleIds) query.whereIn('vehicle_id', vehicleIds);
    return this.statesFromRows(await query.select<StateRow[]>());
  }

  /**
   * The stored states of some vehicles, as a statement for the ingest
   * writer's own transaction; `statesFromRows` reads its rows.
   */
  selectStatement(vehicleIds: readonly number[]): StatementRequest {
    return {
      sql: `SELECT * FROM vehicle_states WHERE vehicle_id IN (${vehicleIds.map(() => '?').join(', ')})`,
      params: [...vehicleIds],
      returns: true,
    };
  }

  statesFromRows(rows: readonly unknown[]): Map<number, LiveVehicleState> {
    const states = new Map<number, LiveVehicleState>();
    for (const row of rows as StateRow[]) states.set(toNumber(row.vehicle_id), this.fromRow(row));
    return states;
  }

  /** Statements upserting the state of every vehicle an ingest tick touched. */
  upsertStatements(
    states: readonly { vehicleId: number; state: LiveVehicleState }[],
    now: number,
  ): StatementRequest[] {
    if (states.length === 0) return [];
    const rows = states.map(({ vehicleId, state }) => {
      const p = state.position;
      const s = state.status;
      return [
        vehicleId,
        state.online,
        state.lastSeenAt,
        state.overspeed,
        p?.t ?? null,
        p?.lat ?? null,
        p?.lon ?? null,
        p?.speedKmh ?? null,
        p?.headingDeg ?? null,
        p?.altitudeM ?? null,
        p?.hdop ?? null,
        p?.satellites ?? null,
        p?.fixQuality ?? null,
        s?.t ?? null,
        s?.batteryV ?? null,
        s?.ignition ?? null,
        s?.gpsFix ?? null,
        s?.obdLink ?? null,
        s?.gpsReceiver ?? null,
        s?.backlog ?? null,
        JSON.stringify([...state.readings.values()]),
        JSON.stringify([...state.dtcs.values()]),
        now,
      ];
    });
    return this.dialect.bulk.upsert(VEHICLE_STATES, 'vehicle_id', rows);
  }

  private fromRow(row: StateRow): LiveVehicleState {
    const readings = JSON.parse(row.readings) as ReadingState[];
    const dtcs = JSON.parse(row.dtcs) as DtcState[];
    const bool = (v: unknown) => this.dialect.readBoolean(v);
    return {
      online: bool(row.online) ?? false,
      lastSeenAt: toNullableNumber(row.last_seen_at),
      overspeed: bool(row.overspeed) ?? false,
      overspeedSince: null,
      position:
        row.position_t === null || row.lat === null || row.lon === null
          ? null
          : {
              t: toNumber(row.position_t),
              lat: toNumber(row.lat),
              lon: toNumber(row.lon),
              speedKmh: toNullableNumber(row.speed_kmh),
              headingDeg: toNullableNumber(row.heading_deg),
              altitudeM: toNullableNumber(row.altitude_m),
              hdop: toNullableNumber(row.hdop),
              satellites: toNullableNumber(row.satellites),
              fixQuality: row.fix_quality ?? 'gps',
            },
      status:
        row.status_t === null
          ? null
          : {
              t: toNumber(row.status_t),
              batteryV: toNullableNumber(row.battery_v),
              ignition: bool(row.ignition),
              gpsFix: row.gps_fix,
              obdLink: row.obd_link,
              gpsReceiver: row.gps_receiver,
              backlog: toNullableNumber(row.backlog),
            },
      readings: new Map(readings.map((r) => [readingKey(r.pid, r.part), r])),
      dtcs: new Map(dtcs.map((d) => [d.kind, d] as [DtcKind, DtcState])),
    };
  }
}
