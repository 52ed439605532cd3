import type { FleetEvent, PositionPoint, ReadingSeries } from '@fleetline/protocol';
import { readingMeta } from '../panels/format';
import type { ExportFile } from '../platform/platform';
import { describeEvent } from './event-text';

type Cell = string | number | boolean | null | undefined;

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  // A leading = + - @ would make a spreadsheet run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value !== 'number' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: readonly string[], rows: Iterable<readonly Cell[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  // CRLF as RFC 4180 says; spreadsheets on every OS read it.
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * A CSV file as the console exports it: UTF-8 with a byte order mark, without
 * which Excel reads it in the system's code page and shows "°C" or "m/s²" or
 * a driver's name as mojibake. Other spreadsheets and parsers skip the mark.
 */
export function csvFile(name: string, content: string): ExportFile {
  return { name, mime: 'text/csv;charset=utf-8', content: `\uFEFF${content}` };
}

const iso = (t: number) => new Date(t).toISOString();

export function positionsCsv(vehicleName: string, points: readonly PositionPoint[]): string {
  return toCsv(
    [
      'vehicle',
      'time_utc',
      'epoch_ms',
      'lat',
      'lon',
      'speed_kmh',
      'heading_deg',
      'altitude_m',
      'hdop',
      'satellites',
      'fix_quality',
    ],
    points.map((p) => [
      vehicleName,
      iso(p.t),
      p.t,
      p.lat,
      p.lon,
      p.speedKmh,
      p.headingDeg,
      p.altitudeM,
      p.hdop,
      p.satellites,
      p.fixQuality,
    ]),
  );
}

/** One row per value, oldest first, every series together. */
export function readingsCsv(vehicleName: string, series: readonly ReadingSeries[]): string {
  const rows: Cell[][] = [];
  for (const s of series) {
    const meta = readingMeta(s.pid, s.part, s.unit);
    for (const p of s.points)
      rows.push([
        vehicleName,
        iso(p.t),
        p.t,
        `0x${s.pid.toString(16).padStart(2, '0')}`,
        s.part,
        meta.name,
        p.value,
        s.unit,
      ]);
  }
  rows.sort((a, b) => (a[2] as number) - (b[2] as number));
  return toCsv(['vehicle', 'time_utc', 'epoch_ms', 'pid', 'part', 'name', 'value', 'unit'], rows);
}

export function eventsCsv(
  events: readonly FleetEvent[],
  vehicleName: (id: number) => string,
): string {
  const sorted = [...events].sort((a, b) => a.t - b.t || a.id - b.id);
  return toCsv(
    [
      'event_id',
      'vehicle',
      'vehicle_id',
      'type',
      'time_utc',
      'epoch_ms',
      'recorded_utc',
      'late',
      'summary',
      'data',
    ],
    sorted.map((e) => {
      const text = describeEvent(e);
      return [
        e.id,
        vehicleName(e.vehicleId),
        e.vehicleId,
        e.type,
        iso(e.t),
        e.t,
        iso(e.recordedAt),
        e.late,
        [text.title, text.detail].filter(Boolean).join(': '),
        JSON.stringify(e.data),
      ];
    }),
  );
}

/** A file name that says what is in it: fleetline-van-12-positions-2026-11-21.csv. */
export function exportFileName(subject: string, kind: string, day: string): string {
  const slug = subject
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `fleetline-${slug || 'fleet'}-${kind}-${day}.csv`;
}
