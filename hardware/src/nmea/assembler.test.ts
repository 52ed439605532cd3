import { describe, expect, it } from 'vitest';
import { FixAssembler } from './assembler.js';
import type { GnssFix } from './fix.js';
import { formatNmeaSentence, parseNmeaSentence } from './parse.js';

function feed(assembler: FixAssembler, bodies: string[]): GnssFix[] {
  return bodies.flatMap((body) => assembler.push(parseNmeaSentence(formatNmeaSentence(body))));
}

const epoch = (time: string, date = '120525'): string[] => [
  `GPGGA,${time},5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,`,
  'GPGSA,A,3,02,05,07,09,13,15,18,20,,,,,1.6,0.9,1.3',
  'GPGSV,1,1,04,02,40,100,40,05,30,200,38,07,50,300,41,09,20,050,35',
  `GPRMC,${time},A,5231.2000,N,01324.3000,E,10.0,90.0,${date},,,A`,
];

describe('FixAssembler', () => {
  it('merges one epoch into one fix with date, mode, quality, DOPs, satellites, speed and track', () => {
    const assembler = new FixAssembler();
    const fixes = feed(assembler, [...epoch('083000.00'), ...epoch('083001.00')]);
    // The first epoch ends when the second begins; the second ends at its RMC,
    // learned from the first as the cycle's last sentence.
    expect(fixes).toHaveLength(2);
    const fix = fixes[0];
    expect(fix).toMatchObject({
      time: Date.UTC(2025, 4, 12, 8, 30, 0),
      mode: '3d',
      quality: 'gps',
      altitudeMslM: 34,
      hdop: 0.9,
      pdop: 1.6,
      vdop: 1.3,
      satellitesUsed: 8,
      satellitesInView: 4,
      trackDeg: 90,
    });
    expect(fix?.speedMps).toBeCloseTo(5.1444, 4);
  });

  it('emits as soon as the learned last sentence of the cycle arrives', () => {
    const assembler = new FixAssembler();
    feed(assembler, [...epoch('083000.00'), ...epoch('083001.00').slice(0, 3)]);
    const fixes = feed(assembler, [epoch('083001.00')[3] ?? '']);
    expect(fixes.map((f) => f.timeOfDayMs)).toEqual([(8 * 3600 + 30 * 60 + 1) * 1000]);
  });

  it('leaves time null until RMC or ZDA gives a date, and never uses the host clock', () => {
    const assembler = new FixAssembler();
    const fixes = feed(assembler, [
      'GPGGA,083000.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
      'GPGGA,083001.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
      'GPZDA,083002.00,01,02,2019,,',
      'GPGGA,083002.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
      'GPGGA,083003.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
    ]);
    expect(fixes.map((f) => f.time)).toEqual([
      null,
      null,
      Date.UTC(2019, 1, 1, 8, 30, 2),
      Date.UTC(2019, 1, 1, 8, 30, 3),
    ]);
  });

  it('rolls the carried date over at midnight', () => {
    const assembler = new FixAssembler();
    const fixes = feed(assembler, [
      ...epoch('235959.00', '311224'),
      'GPGGA,000000.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
      'GPGGA,000001.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
    ]);
    expect(fixes.map((f) => new Date(f.time ?? 0).toISOString())).toEqual([
      '2024-12-31T23:59:59.000Z',
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:01.000Z',
    ]);
  });

  it('reports fix loss without a position and recovers with a 2D fix first', () => {
    const assembler = new FixAssembler();
    const lost = feed(assembler, [
      'GPGGA,083000.00,,,,,0,00,99.99,,,,,,',
      'GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99',
      'GPRMC,083000.00,V,,,,,,,120525,,,N',
      'GPGGA,083001.00,5231.2000,N,01324.3000,E,1,03,3.9,,M,,M,,',
    ]);
    expect(lost[0]).toMatchObject({
      mode: 'no_fix',
      quality: 'none',
      lat: null,
      satellitesUsed: 0,
    });
    const back = feed(assembler, [
      'GPGSA,A,2,02,05,07,,,,,,,,,,4.1,3.9,1.2',
      'GPRMC,083001.00,A,5231.2000,N,01324.3000,E,0.5,10.0,120525,,,A',
    ]);
    expect(back[0]).toMatchObject({ mode: '2d', quality: 'gps', satellitesUsed: 3 });
    expect(back[0]?.lat).toBeCloseTo(52.52, 6);
  });

  it('adds up the used satellites of one GSA per constellation', () => {
    const assembler = new FixAssembler();
    feed(assembler, [
      'GNGGA,083000.00,5231.2000,N,01324.3000,E,1,12,0.9,34.0,M,47.0,M,,',
      'GNGSA,A,3,01,11,31,14,22,32,04,25,03,,,,1.56,0.91,1.27',
      'GNGSA,A,3,67,83,76,82,68,,,,,,,,1.56,0.91,1.27',
    ]);
    expect(assembler.current()?.satellitesUsed).toBe(14);
  });

  it('ignores proprietary sentences', () => {
    const assembler = new FixAssembler();
    expect(assembler.push(parseNmeaSentence('$PGRME,1.7,M,2.4,M,3.0,M*2D'))).toEqual([]);
    expect(assembler.current()).toBeNull();
  });
});
