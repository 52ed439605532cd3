import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import {
  csvField,
  csvFile,
  eventsCsv,
  exportFileName,
  positionsCsv,
  readingsCsv,
  toCsv,
} from './csv';

describe('CSV export', () => {
  it('quotes fields with separators, quotes and line breaks, and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-3.5)).toBe('-3.5');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(
      toCsv(
        ['a', 'b'],
        [
          [1, 'x'],
          [null, 'y,z'],
        ],
      ),
    ).toBe('a,b\r\n1,x\r\n,"y,z"\r\n');
  });

  it('writes positions with UTC times and every field', () => {
    const csv = positionsCsv('Van, 1', [
      {
        t: Date.UTC(2026, 0, 2, 3, 4, 5),
        lat: 52.5,
        lon: 13.4,
        speedKmh: 40,
        headingDeg: null,
        altitudeM: 30,
        hdop: 0.9,
        satellites: 9,
        fixQuality: 'gps',
      },
    ]);
    const [header, row] = csv.trim().split('\r\n');
    expect(header).toBe(
      'vehicle,time_utc,epoch_ms,lat,lon,speed_kmh,heading_deg,altitude_m,hdop,satellites,fix_quality',
    );
    expect(row).toBe(
      `"Van, 1",2026-01-02T03:04:05.000Z,${Date.UTC(2026, 0, 2, 3, 4, 5)},52.5,13.4,40,,30,0.9,9,gps`,
    );
  });

  it('writes readings oldest first with names from the OBD-II catalogue', () => {
    const csv = readingsCsv('Van 1', [
      { pid: 0x0c, part: 0, unit: 'rpm', points: [{ t: 2000, value: 900 }] },
      { pid: 0x05, part: 0, unit: '°C', points: [{ t: 1000, value: 80 }] },
    ]);
    const rows = csv.trim().split('\r\n');
    expect(rows[1]).toContain(',0x05,0,Engine coolant temperature,80,°C');
    expect(rows[2]).toContain(',0x0c,0,Engine speed,900,rpm');
  });

  it('writes events with a readable summary and their data', () => {
    const event: FleetEvent = {
      id: 5,
      vehicleId: 2,
      type: 'dtc_new',
      t: 1000,
      recordedAt: 1001,
      late: true,
      data: { code: 'P0301', dtcKind: 'stored' },
    };
    const row = eventsCsv([event], () => 'Van 2')
      .trim()
      .split('\r\n')[1];
    expect(row).toContain('5,Van 2,2,dtc_new,');
    expect(row).toContain(',true,Trouble code P0301: Cylinder 1 misfire detected (stored),');
    expect(row).toContain('"{""code"":""P0301"",""dtcKind"":""stored""}"');
  });

  it('names files after what they hold', () => {
    expect(exportFileName('Van 12 (Müller)', 'positions', '2026-11-21')).toBe(
      'fleetline-van-12-muller-positions-2026-11-21.csv',
    );
    expect(exportFileName('***', 'events', '2026-11-21')).toBe(
      'fleetline-fleet-events-2026-11-21.csv',
    );
  });

  it('exports files that start with a UTF-8 byte order mark, so Excel reads the units right', () => {
    const file = csvFile('x.csv', 'name,unit\r\nCoolant,°C\r\n');
    expect(file.mime).toBe('text/csv;charset=utf-8');
    expect(file.content).toBe('\uFEFFname,unit\r\nCoolant,°C\r\n');
    const bytes = new TextEncoder().encode(file.content);
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });
});
