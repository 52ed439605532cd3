import { describe, expect, it } from 'vitest';
import { readNmeaLog } from '../../test/gpsd-reference.js';
import { FixAssembler } from './assembler.js';
import type { GnssFix } from './fix.js';
import { formatNmeaSentence, parseNmeaSentence } from './parse.js';
import { NmeaStreamParser } from './stream.js';

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

  it('keeps the old date for the last epoch of the day when its own RMC was lost', () => {
    const assembler = new FixAssembler();
    const gga = (t: string): string =>
      `GPGGA,${t},5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,`;
    const rmc = (t: string, d: string): string =>
      `GPRMC,${t},A,5231.2000,N,01324.3000,E,0.0,0.0,${d},,,A`;
    const fixes = feed(assembler, [
      gga('235958.00'),
      rmc('235958.00', '311224'),
      // 23:59:59's RMC was dropped (a bad checksum): its epoch ends only when midnight's begins.
      gga('235959.00'),
      gga('000000.00'),
      rmc('000000.00', '010125'),
    ]);
    expect(fixes.map((f) => new Date(f.time ?? 0).toISOString())).toEqual([
      '2024-12-31T23:59:58.000Z',
      '2024-12-31T23:59:59.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
  });

  it('rolls the date over at midnight across a flush (a receiver reconnected)', () => {
    const assembler = new FixAssembler();
    feed(assembler, epoch('235959.00', '311224'));
    assembler.flush();
    const fixes = feed(assembler, [
      'GPGGA,000001.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
      'GPGGA,000002.00,5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,',
    ]);
    expect(new Date(fixes[0]?.time ?? 0).toISOString()).toBe('2025-01-01T00:00:01.000Z');
  });

  it('waits for the second of two GSA sentences that end each cycle (u-blox with GSV off)', () => {
    const assembler = new FixAssembler();
    const cycle = (t: string): string[] => [
      `GNRMC,${t},A,5231.2000,N,01324.3000,E,0.0,0.0,120525,,,A`,
      `GNGGA,${t},5231.2000,N,01324.3000,E,1,12,0.9,34.0,M,47.0,M,,`,
      'GNGSA,A,3,02,05,07,09,13,15,,,,,,,1.6,0.9,1.3',
      'GNGSA,A,3,65,66,67,68,69,70,,,,,,,1.6,0.9,1.3',
    ];
    const fixes = feed(assembler, [
      ...cycle('083000.00'),
      ...cycle('083001.00'),
      ...cycle('083002.00'),
    ]);
    expect(fixes.map((f) => f.satellitesUsed)).toEqual([12, 12, 12]);
    // Each fix went out at its own cycle's last sentence, not a cycle late.
    expect(fixes.map((f) => f.timeOfDayMs)).toEqual([30_600_000, 30_601_000, 30_602_000]);
  });

  it('keeps the learned cycle end when GSV occasionally follows it, and carries the sky view', () => {
    const assembler = new FixAssembler();
    const cycle = (t: string, withGsv: boolean): string[] => [
      `GPGGA,${t},5231.2000,N,01324.3000,E,1,08,0.9,34.0,M,47.0,M,,`,
      `GPRMC,${t},A,5231.2000,N,01324.3000,E,0.0,0.0,120525,,,A`,
      `GPZDA,${t},12,05,2025,00,00`,
      ...(withGsv ? ['GPGSV,1,1,04,02,40,100,40,05,30,200,38,07,50,300,41,09,20,050,35'] : []),
    ];
    const out: GnssFix[] = [];
    const times: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const t = `08300${i}.00`;
      for (const body of cycle(t, i === 3)) {
        const fixes = feed(assembler, [body]);
        out.push(...fixes);
        // Every fix goes out at its own ZDA, never at the next cycle's first sentence.
        if (fixes.length > 0) times.push(body.startsWith('GPZDA') ? 1 : 0);
      }
    }
    expect(times).toEqual([0, 1, 1, 1, 1, 1, 1, 1]);
    // Cycle 3's fix went out before its GSV; the fixes after it carry that sky view.
    expect(out.map((f) => f.satellitesInView)).toEqual([null, null, null, null, 4, 4, 4, 4]);
  });

  it('reports satellites in view for the BU-353 log, whose GSV follows the fix every fifth cycle', () => {
    const assembler = new FixAssembler();
    const parser = new NmeaStreamParser();
    const fixes: GnssFix[] = [];
    for (const item of parser.push(Buffer.from(readNmeaLog('bu353-glonass'), 'latin1'))) {
      if (item.ok) fixes.push(...assembler.push(item.sentence));
    }
    const lastFix = assembler.flush();
    if (lastFix) fixes.push(lastFix);
    const withSky = fixes.filter((f) => f.satellitesInView !== null);
    expect(withSky.length).toBeGreaterThan(fixes.length / 2);
    expect(Math.max(...withSky.map((f) => f.satellitesInView ?? 0))).toBeGreaterThan(4);
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
