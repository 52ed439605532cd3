import { describe, expect, it } from 'vitest';
import { NmeaChecksumError, NmeaFormatError } from './errors.js';
import { formatNmeaSentence, parseNmeaSentence } from './parse.js';
import { NmeaStreamParser } from './stream.js';

const TALKERS = ['GP', 'GL', 'GA', 'GB', 'BD', 'GQ', 'GN'];

describe('parseNmeaSentence', () => {
  it('parses GGA from every talker, with checksums verified', () => {
    for (const talker of TALKERS) {
      const line = formatNmeaSentence(
        `${talker}GGA,145243.000,3401.9764,N,11744.8274,W,2,10,0.87,234.7,M,-33.2,M,,`,
      );
      const s = parseNmeaSentence(line);
      expect(s).toMatchObject({
        type: 'GGA',
        talker,
        quality: 2,
        satellitesUsed: 10,
        hdop: 0.87,
        altitudeM: 234.7,
      });
      if (s.type !== 'GGA') throw new Error('not GGA');
      expect(s.lat).toBeCloseTo(34.03294, 6);
      expect(s.lon).toBeCloseTo(-117.747123333, 6);
      expect(s.time).toBe(((14 * 60 + 52) * 60 + 43) * 1000);
      expect(s.dgpsAgeS).toBeNull();
    }
  });

  it('parses RMC, GLL, VTG (both generations), GSA, GSV, GNS, ZDA and GST', () => {
    expect(
      parseNmeaSentence('$GPRMC,145243.000,A,3401.9764,N,11744.8274,W,0.00,119.27,030610,,,D*70'),
    ).toMatchObject({
      type: 'RMC',
      status: 'A',
      speedKnots: 0,
      trackDeg: 119.27,
      date: [2010, 6, 3],
      mode: 'D',
      magneticVariationDeg: null,
    });
    expect(parseNmeaSentence('$GNGLL,4404.14066,N,12118.85481,W,171925.00,A,A*66')).toMatchObject({
      type: 'GLL',
      status: 'A',
      mode: 'A',
    });
    expect(parseNmeaSentence('$GNVTG,,T,,M,0.117,N,0.216,K,A*3F')).toMatchObject({
      type: 'VTG',
      trackTrueDeg: null,
      speedKnots: 0.117,
      speedKmh: 0.216,
    });
    expect(parseNmeaSentence(formatNmeaSentence('GPVTG,054.7,034.4,005.5,010.2'))).toMatchObject({
      trackTrueDeg: 54.7,
      trackMagneticDeg: 34.4,
      speedKnots: 5.5,
      speedKmh: 10.2,
    });
    expect(parseNmeaSentence('$GNGSA,A,2,02,08,10,23,27,,,,,,,,1.6,1.3,0.9,1*33')).toMatchObject({
      type: 'GSA',
      fixType: 2,
      satellites: [2, 8, 10, 23, 27],
      pdop: 1.6,
      hdop: 1.3,
      vdop: 0.9,
      systemId: 1,
    });
    expect(parseNmeaSentence('$GPGSV,3,3,10,28,13,265,15,31,08,100,*7E')).toMatchObject({
      type: 'GSV',
      messageCount: 3,
      messageNumber: 3,
      satellitesInView: 10,
      satellites: [
        { prn: 28, elevationDeg: 13, azimuthDeg: 265, snrDb: 15 },
        { prn: 31, elevationDeg: 8, azimuthDeg: 100, snrDb: null },
      ],
    });
    expect(
      parseNmeaSentence(
        '$GNGNS,043539.00,4333.190206,N,00127.618380,E,AAAAN,14,1.3,250.8,50.0,,,V*62',
      ),
    ).toMatchObject({
      type: 'GNS',
      modes: 'AAAAN',
      satellitesUsed: 14,
      altitudeM: 250.8,
      navStatus: 'V',
    });
    expect(parseNmeaSentence('$GPZDA,150119.000,09,03,2022,,*53')).toMatchObject({
      type: 'ZDA',
      date: [2022, 3, 9],
      zoneHours: null,
    });
    expect(
      parseNmeaSentence(formatNmeaSentence('GPGST,001901.00,0.0000,,,,3.1,2.2,5.5')),
    ).toMatchObject({
      type: 'GST',
      latErrorM: 3.1,
      lonErrorM: 2.2,
      altErrorM: 5.5,
      semiMajorM: null,
    });
  });

  it('turns empty fields into null, not zero', () => {
    const s = parseNmeaSentence('$GPGGA,001901.00,,,,,0,00,99.99,,,,,,*6F');
    expect(s).toMatchObject({
      lat: null,
      lon: null,
      altitudeM: null,
      quality: 0,
      satellitesUsed: 0,
    });
  });

  it('rejects a wrong checksum with a typed error', () => {
    const line = '$GPRMC,145243.000,A,3401.9764,N,11744.8274,W,0.00,119.27,030610,,,D*71';
    expect(() => parseNmeaSentence(line)).toThrow(NmeaChecksumError);
  });

  it('rejects a corrupted field even when the checksum is recomputed', () => {
    expect(() =>
      parseNmeaSentence(
        formatNmeaSentence('GPGGA,145243.000,34X1.9764,N,11744.8274,W,2,10,0.87,234.7,M,,M,,'),
      ),
    ).toThrow(NmeaFormatError);
    expect(() =>
      parseNmeaSentence(
        formatNmeaSentence('GPGGA,145243.000,3461.9764,N,11744.8274,W,2,10,0.87,234.7,M,,M,,'),
      ),
    ).toThrow(/60 or more minutes/);
    expect(() =>
      parseNmeaSentence(formatNmeaSentence('GPRMC,256000,A,3401.9764,N,11744.8274,W,0,0,030610,,')),
    ).toThrow(/time of day/);
    expect(() =>
      parseNmeaSentence(
        formatNmeaSentence('GPGGA,145243.000,3401.9764,Q,11744.8274,W,2,10,0.87,1,M,,M,,'),
      ),
    ).toThrow(/N\/S/);
  });

  it('rejects days that do not exist, and accepts 29 February in leap years', () => {
    const rmc = (date: string): string =>
      formatNmeaSentence(`GPRMC,120000,A,3401.9764,N,11744.8274,W,0,0,${date},,`);
    const zda = (d: string, m: string, y: string): string =>
      formatNmeaSentence(`GPZDA,120000.00,${d},${m},${y},,`);
    for (const date of ['290223', '300224', '310424', '001224', '011324']) {
      expect(() => parseNmeaSentence(rmc(date)), date).toThrow(/is not a date/);
    }
    expect(() => parseNmeaSentence(zda('31', '04', '2024'))).toThrow(/is not a date/);
    expect(() => parseNmeaSentence(zda('29', '02', '2100'))).toThrow(/is not a date/);
    expect(parseNmeaSentence(rmc('290224'))).toMatchObject({ date: [2024, 2, 29] });
    expect(parseNmeaSentence(zda('29', '02', '2000'))).toMatchObject({ date: [2000, 2, 29] });
    expect(parseNmeaSentence(rmc('311299'))).toMatchObject({ date: [1999, 12, 31] });
  });

  it('rejects lines without a checksum unless allowed, and garbage outright', () => {
    expect(() => parseNmeaSentence('$GPZDA,150119.000,09,03,2022,,')).toThrow(/missing checksum/);
    expect(
      parseNmeaSentence('$GPZDA,150119.000,09,03,2022,,', { allowMissingChecksum: true }),
    ).toMatchObject({ type: 'ZDA' });
    expect(() => parseNmeaSentence('\u0000\u00ff garbage')).toThrow(NmeaFormatError);
    expect(() => parseNmeaSentence('$GPGGA,1*ZZ')).toThrow(/not hex/);
  });

  it('tolerates proprietary and unknown sentences as OTHER', () => {
    expect(parseNmeaSentence('$PGRME,1.7,M,2.4,M,3.0,M*2D')).toMatchObject({
      type: 'OTHER',
      id: 'PGRME',
      proprietary: true,
    });
    expect(
      parseNmeaSentence(formatNmeaSentence('GNGBS,181142.00,4.7,1.9,5.3,87,,-54900.,')),
    ).toMatchObject({ type: 'OTHER', id: 'GBS', talker: 'GN' });
  });

  it('finds the sentence after line noise before its $', () => {
    expect(parseNmeaSentence('\u00fe\u0012$GPZDA,150119.000,09,03,2022,,*53')).toMatchObject({
      type: 'ZDA',
    });
  });
});

describe('NmeaStreamParser', () => {
  const stream =
    [
      '$GPGGA,145243.000,3401.9764,N,11744.8274,W,2,10,0.87,234.7,M,-33.2,M,0000,0000*5F',
      '$GPRMC,145243.000,A,3401.9764,N,11744.8274,W,0.00,119.27,030610,,,D*71',
      '\u0001\u0002garbage',
      '$PMTK001,604,3*32',
      '$GPRMC,145243.000,A,3401.9764,N,11744.8274,W,0.00,119.27,030610,,,D*70',
    ].join('\r\n') + '\r\n';

  it('reports bad lines and goes on, whatever the chunking, split at every position', () => {
    for (let cut = 0; cut <= stream.length; cut += 1) {
      const parser = new NmeaStreamParser();
      const items = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
      expect(items.map((i) => (i.ok ? i.sentence.type : i.error.type))).toEqual([
        'GGA',
        'nmea_checksum',
        'nmea_format',
        'OTHER',
        'RMC',
      ]);
    }
  });

  it('accepts LF-only and CR-only line ends', () => {
    const parser = new NmeaStreamParser();
    const items = parser.push(
      '$GPZDA,150119.000,09,03,2022,,*53\n$GPZDA,150119.000,09,03,2022,,*53\r',
    );
    expect(items.filter((i) => i.ok)).toHaveLength(2);
  });

  it('drops an endless line without a line end instead of growing without bound', () => {
    const parser = new NmeaStreamParser();
    expect(parser.push('$'.repeat(10_000))).toEqual([]);
    const items = parser.push('\r\n$GPZDA,150119.000,09,03,2022,,*53\r\n');
    expect(items.map((i) => i.ok)).toEqual([true]);
  });
});
