import type { Knex } from 'knex';
import type {
  DrivingSample,
  DtcSample,
  FixQuality,
  PositionPoint,
  PositionSample,
  ReadingSample,
  ReadingSeries,
  StatusSample,
} from '@fleetline/protocol';
import { rawRows } from '../db/dialect.js';
import type { ColumnSpec, Dialect, TableSpec } from '../db/dialect.js';
import type { StatementRequest } from '../db/steps.js';
import { toNullableNumber, toNumber } from './types.js';

/** A validated sample with the device and vehicle it came from. */
export interface Located<S> {
  deviceId: number;
  vehicleId: number;
  sample: S;
}

export interface SampleRows {
  positions: Located<PositionSample>[];
  readings: Located<ReadingSample>[];
  dtcs: Located<DtcSample>[];
  statuses: Located<StatusSample>[];
  driving: Located<DrivingSample>[];
}

export const emptySampleRows = (): SampleRows => ({
  positions: [],
  readings: [],
  dtcs: [],
  statuses: [],
  driving: [],
});

export const sampleKey = (deviceId: number, seq: number): string => `${deviceId}:${seq}`;

const KEY_COLUMNS: ColumnSpec[] = [
  { name: 'device_id', type: 'integer' },
  { name: 'seq', type: 'bigint' },
  { name: 'vehicle_id', type: 'integer' },
  { name: 't', type: 'bigint' },
];

/** The columns of a fix, in positions and in vehicle_states alike. */
export const FIX_COLUMNS: readonly ColumnSpec[] = [
  { name: 'lat', type: 'double' },
  { name: 'lon', type: 'double' },
  { name: 'speed_kmh', type: 'double' },
  { name: 'heading_deg', type: 'double' },
  { name: 'altitude_m', type: 'double' },
  { name: 'hdop', type: 'double' },
  { name: 'satellites', type: 'integer' },
  { name: 'fix_quality', type: 'text' },
];

const POSITIONS: TableSpec = {
  name: 'positions',
  columns: [...KEY_COLUMNS, ...FIX_COLUMNS, { name: 'received_at', type: 'bigint' }],
};

const READINGS: TableSpec = {
  name: 'readings',
  columns: [
    ...KEY_COLUMNS,
    { name: 'pid', type: 'integer' },
    { name: 'part', type: 'integer' },
    { name: 'value', type: 'double' },
    { name: 'unit', type: 'text' },
    { name: 'received_at', type: 'bigint' },
  ],
};

const DTC_REPORTS: TableSpec = {
  name: 'dtc_reports',
  columns: [
    ...KEY_COLUMNS,
    { name: 'dtc_kind', type: 'text' },
    { name: 'codes', type: 'text' },
    { name: 'received_at', type: 'bigint' },
  ],
};

const DEVICE_STATUSES: TableSpec = {
  name: 'device_statuses',
  columns: [
    ...KEY_COLUMNS,
    { name: 'battery_v', type: 'double' },
    { name: 'ignition', type: 'boolean' },
    { name: 'gps_fix', type: 'text' },
    { name: 'obd_link', type: 'text' },
    { name: 'gps_receiver', type: 'text' },
    { name: 'backlog', type: 'bigint' },
    { name: 'received_at', type: 'bigint' },
  ],
};

const DRIVING_EVENTS_TABLE: TableSpec = {
  name: 'driving_events',
  columns: [
    ...KEY_COLUMNS,
    { name: 'event', type: 'text' },
    { name: 'lat', type: 'double' },
    { name: 'lon', type: 'double' },
    { name: 'speed_kmh', type: 'double' },
    { name: 'accel_ms2', type: 'double' },
    { name: 'duration_s', type: 'double' },
    { name: 'distance_km', type: 'double' },
    { name: 'received_at', type: 'bigint' },
  ],
};

/** Every table that stores samples keyed by (device_id, seq). */
const SAMPLE_TABLES = [POSITIONS, READINGS, DTC_REPORTS, DEVICE_STATUSES, DRIVING_EVENTS_TABLE];
/** Keys per lookup: two parameters each, in five tables, stays under both databases' parameter limits. */
const STORED_KEYS_CHUNK = 1000;

/**
 * Index of a row's time bucket, from two bound values (range start, width).
 * The CAST matters: better-sqlite3 binds numbers as REAL, so without it SQLite
 * divides in floating point and every row lands in a bucket of its own.
 */
const BUCKET = 'CAST((t - ?) / ? AS INTEGER)';

export class TelemetryRepository {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Statements appending samples, each skipping a (device_id, seq) already
   * stored and returning the key of each row it did store. For one tick.
   */
  insertStatements(
    rows: SampleRows,
    receivedAt: number,
  ): { statements: StatementRequest[]; count: number } {
    const bulk = this.dialect.bulk;
    const returning = ['device_id', 'seq'];
    const statements = [
      ...bulk.insertIgnoringDuplicates(
        POSITIONS,
        rows.positions.map(({ deviceId, vehicleId, sample: s }) => [
          deviceId,
          s.seq,
          vehicleId,
          s.t,
          s.lat,
          s.lon,
          s.speedKmh ?? null,
          s.headingDeg ?? null,
          s.altitudeM ?? null,
          s.hdop ?? null,
          s.satellites ?? null,
          s.fixQuality,
          receivedAt,
        ]),
        returning,
      ),
      ...bulk.insertIgnoringDuplicates(
        READINGS,
        rows.readings.map(({ deviceId, vehicleId, sample: s }) => [
          deviceId,
          s.seq,
          vehicleId,
          s.t,
          s.pid,
          s.part,
          s.value,
          s.unit,
          receivedAt,
        ]),
        returning,
      ),
      ...bulk.insertIgnoringDuplicates(
        DTC_REPORTS,
        rows.dtcs.map(({ deviceId, vehicleId, sample: s }) => [
          deviceId,
          s.seq,
          vehicleId,
          s.t,
          s.dtcKind,
          JSON.stringify(s.codes),
          receivedAt,
        ]),
        returning,
      ),
      ...bulk.insertIgnoringDuplicates(
        DEVICE_STATUSES,
        rows.statuses.map(({ deviceId, vehicleId, sample: s }) => [
          deviceId,
          s.seq,
          vehicleId,
          s.t,
          s.batteryV ?? null,
          s.ignition ?? null,
          s.gpsFix ?? null,
          s.obdLink ?? null,
          s.gpsReceiver ?? null,
          s.backlog ?? null,
          receivedAt,
        ]),
        returning,
      ),
      ...bulk.insertIgnoringDuplicates(
        DRIVING_EVENTS_TABLE,
        rows.driving.map(({ deviceId, vehicleId, sample: s }) => [
          deviceId,
          s.seq,
          vehicleId,
          s.t,
          s.event,
          s.lat ?? null,
          s.lon ?? null,
          s.speedKmh ?? null,
          s.accelMs2 ?? null,
          s.durationS ?? null,
          s.distanceKm ?? null,
          receivedAt,
        ]),
        returning,
      ),
    ];
    const count =
      rows.positions.length +
      rows.readings.length +
      rows.dtcs.length +
      rows.statuses.length +
      rows.driving.length;
    return { statements, count };
  }

  /** The keys in what `insertStatements` returned. */
  insertedKeys(returned: readonly unknown[]): Set<string> {
    const keys = new Set<string>();
    for (const row of returned as { device_id: unknown; seq: unknown }[]) {
      keys.add(sampleKey(toNumber(row.device_id), toNumber(row.seq)));
    }
    return keys;
  }

  /**
   * Which of these (device, seq) keys are stored already, in any sample
   * table. A sequence number is unique per device across every kind, but each
   * table's primary key only sees its own kind: a replay under another kind
   * would pass it. Asked only for numbers at or below a device's high-water
   * mark, so new samples never pay for it.
   */
  async storedKeys(keys: readonly { deviceId: number; seq: number }[]): Promise<Set<string>> {
    const found = new Set<string>();
    // One round trip per chunk, however many devices it spans: a tick of
    // resent batches must not cost a query per device.
    for (let i = 0; i < keys.length; i += STORED_KEYS_CHUNK) {
      const pairs = keys.slice(i, i + STORED_KEYS_CHUNK).map((k) => [k.deviceId, k.seq]);
      // Plain UNION ALL: SQLite refuses parenthesised members.
      const [first, ...rest] = SAMPLE_TABLES.map((table) =>
        this.knex(table.name).select('device_id', 'seq').whereIn(['device_id', 'seq'], pairs),
      );
      const rows = (await first!.unionAll(rest)) as { device_id: unknown; seq: unknown }[];
      for (const row of rows) found.add(sampleKey(toNumber(row.device_id), toNumber(row.seq)));
    }
    return found;
  }

  /**
   * Highest sequence number stored for a device, across every sample table:
   * one primary-key lookup per table, done when the device connects.
   */
  async highestSeq(deviceId: number): Promise<number> {
    let highest = 0;
    for (const table of SAMPLE_TABLES) {
      const row = await this.knex(table.name)
        .where({ device_id: deviceId })
        .max({ m: 'seq' })
        .first();
      highest = Math.max(highest, toNumber(row?.m ?? 0));
    }
    return highest;
  }

  async countPositions(vehicleId: number, from: number, to: number): Promise<number> {
    const row = await this.knex('positions')
      .where({ vehicle_id: vehicleId })
      .where('t', '>=', from)
      .where('t', '<', to)
      .count({ n: '*' })
      .first();
    return toNumber(row?.n ?? 0);
  }

  /**
   * Positions in [from, to), oldest first. With `bucketMs` > 0, keeps the
   * first fix of each bucket: a track thinned evenly in time.
   */
  async positions(
    vehicleId: number,
    from: number,
    to: number,
    bucketMs: number,
  ): Promise<PositionPoint[]> {
    const columns =
      't, lat, lon, speed_kmh, heading_deg, altitude_m, hdop, satellites, fix_quality';
    const rows =
      bucketMs > 0
        ? rawRows<PositionRow>(
            await this.knex.raw(
              `SELECT ${columns} FROM (
                 SELECT ${columns}, ROW_NUMBER() OVER (PARTITION BY ${BUCKET} ORDER BY t, seq) AS rn
                 FROM positions WHERE vehicle_id = ? AND t >= ? AND t < ?
               ) AS bucketed WHERE rn = 1 ORDER BY t`,
              [from, bucketMs, vehicleId, from, to],
            ),
          )
        : await this.knex('positions')
            .where({ vehicle_id: vehicleId })
            .where('t', '>=', from)
            .where('t', '<', to)
            .orderBy([{ column: 't' }, { column: 'seq' }])
            .select<PositionRow[]>(this.knex.raw(columns));
    return rows.map(toPositionPoint);
  }

  /** Largest number of readings any one (pid, part) series has in [from, to). */
  async largestReadingSeries(
    vehicleId: number,
    from: number,
    to: number,
    pid?: number,
  ): Promise<number> {
    const query = this.knex('readings')
      .where({ vehicle_id: vehicleId })
      .where('t', '>=', from)
      .where('t', '<', to)
      .groupBy('pid', 'part')
      .select<{ n: number }[]>(this.knex.raw('COUNT(*) AS n'));
    if (pid !== undefined) void query.where({ pid });
    const rows = await query;
    return rows.reduce((max, r) => Math.max(max, toNumber(r.n)), 0);
  }

  /**
   * Readings in [from, to) grouped into one series per (pid, part). With
   * `bucketMs` > 0, each bucket becomes one point: the mean at the bucket's
   * first timestamp.
   */
  async readings(
    vehicleId: number,
    from: number,
    to: number,
    bucketMs: number,
    pid?: number,
  ): Promise<ReadingSeries[]> {
    const pidFilter = pid === undefined ? '' : ' AND pid = ?';
    const pidBinding = pid === undefined ? [] : [pid];
    const rows =
      bucketMs > 0
        ? rawRows<ReadingRow>(
            await this.knex.raw(
              `SELECT pid, part, MIN(t) AS t, AVG(value) AS value, MAX(unit) AS unit
               FROM readings WHERE vehicle_id = ? AND t >= ? AND t < ?${pidFilter}
               GROUP BY pid, part, ${BUCKET} ORDER BY pid, part, t`,
              [vehicleId, from, to, ...pidBinding, from, bucketMs],
            ),
          )
        : rawRows<ReadingRow>(
            await this.knex.raw(
              `SELECT pid, part, t, value, unit FROM readings
               WHERE vehicle_id = ? AND t >= ? AND t < ?${pidFilter} ORDER BY pid, part, t, seq`,
              [vehicleId, from, to, ...pidBinding],
            ),
          );
    const series: ReadingSeries[] = [];
    let current: ReadingSeries | undefined;
    for (const row of rows) {
      const pidValue = toNumber(row.pid);
      const part = toNumber(row.part);
      if (!current || current.pid !== pidValue || current.part !== part) {
        current = { pid: pidValue, part, unit: row.unit, points: [] };
        series.push(current);
      }
      current.points.push({ t: toNumber(row.t), value: toNumber(row.value) });
    }
    return series;
  }
}

interface PositionRow {
  t: number;
  lat: number;
  lon: number;
  speed_kmh: number | null;
  heading_deg: number | null;
  altitude_m: number | null;
  hdop: number | null;
  satellites: number | null;
  fix_quality: FixQuality;
}

interface ReadingRow {
  pid: number;
  part: number;
  t: number;
  value: number;
  unit: string;
}

function toPositionPoint(row: PositionRow): PositionPoint {
  return {
    t: toNumber(row.t),
    lat: toNumber(row.lat),
    lon: toNumber(row.lon),
    speedKmh: toNullableNumber(row.speed_kmh),
    headingDeg: toNullableNumber(row.heading_deg),
    altitudeM: toNullableNumber(row.altitude_m),
    hdop: toNullableNumber(row.hdop),
    satellites: toNullableNumber(row.satellites),
    fixQuality: row.fix_quality,
  };
}
