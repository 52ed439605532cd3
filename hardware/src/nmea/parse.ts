import { NmeaChecksumError, NmeaFormatError } from './errors.js';
import type {
  GgaSentence,
  GllSentence,
  GnsSentence,
  GsaSentence,
  GstSentence,
  GsvSentence,
  NmeaSentence,
  RmcSentence,
  SatelliteInView,
  TimeOfDayMs,
  VtgSentence,
  ZdaSentence,
} from './types.js';

export interface ParseOptions {
  /**
   * NMEA 0183 makes the checksum optional for some sentences, but a line
   * without one cannot be told from line noise; reject it unless asked.
   */
  allowMissingChecksum?: boolean;
}

// Hand-rolled character checks: this runs for every line a receiver sends.
function isAddress(text: string): boolean {
  if (text.length < 3) return false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

function isDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function digitsAt(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Parses one sentence ('$GPGGA,...*hh'), verifying its checksum. Throws
 * NmeaChecksumError or NmeaFormatError; never returns a half-parsed sentence.
 */
export function parseNmeaSentence(line: string, options: ParseOptions = {}): NmeaSentence {
  const start = line.lastIndexOf('$');
  if (start < 0) throw new NmeaFormatError(line, 'no $ start delimiter');
  const text = start === 0 ? line : line.slice(start);
  let end = text.length;
  while (
    end > 0 &&
    (text.charCodeAt(end - 1) === 13 ||
      text.charCodeAt(end - 1) === 10 ||
      text.charCodeAt(end - 1) === 32)
  )
    end -= 1;
  const star = text.lastIndexOf('*', end);
  let bodyEnd = end;
  if (star >= 0 && star >= end - 3) {
    if (end - star !== 3) throw new NmeaFormatError(text, 'checksum must be two hex digits');
    const high = hexValue(text.charCodeAt(star + 1));
    const low = hexValue(text.charCodeAt(star + 2));
    if (high < 0 || low < 0) throw new NmeaFormatError(text, 'checksum is not hex');
    let sum = 0;
    for (let i = 1; i < star; i += 1) sum ^= text.charCodeAt(i);
    const given = high * 16 + low;
    if (sum !== given) throw new NmeaChecksumError(text.slice(0, end), sum, given);
    bodyEnd = star;
  } else if (!options.allowMissingChecksum) {
    throw new NmeaFormatError(text, 'missing checksum');
  }
  const raw = text.slice(0, end);
  const fields = text.slice(1, bodyEnd).split(',');
  const address = fields[0] ?? '';
  if (!isAddress(address))
    throw new NmeaFormatError(raw, `bad address field ${JSON.stringify(address)}`);
  if (address.charCodeAt(0) === 80 /* P */) {
    return {
      type: 'OTHER',
      talker: '',
      raw,
      id: address,
      proprietary: true,
      fields: fields.slice(1),
    };
  }
  if (address.length !== 5) {
    return {
      type: 'OTHER',
      talker: '',
      raw,
      id: address,
      proprietary: false,
      fields: fields.slice(1),
    };
  }
  const talker = address.slice(0, 2);
  const id = address.slice(2);
  const f = new Fields(raw, fields);
  switch (id) {
    case 'GGA':
      return parseGga(talker, raw, f);
    case 'RMC':
      return parseRmc(talker, raw, f);
    case 'GLL':
      return parseGll(talker, raw, f);
    case 'VTG':
      return parseVtg(talker, raw, f);
    case 'GSA':
      return parseGsa(talker, raw, f);
    case 'GSV':
      return parseGsv(talker, raw, f);
    case 'GNS':
      return parseGns(talker, raw, f);
    case 'ZDA':
      return parseZda(talker, raw, f);
    case 'GST':
      return parseGst(talker, raw, f);
    default:
      return { type: 'OTHER', talker, raw, id, proprietary: false, fields: fields.slice(1) };
  }
}

/** Field accessors: an empty field is null; a malformed one is an error, never a guess. */
class Fields {
  readonly #raw: string;
  readonly #fields: string[];

  constructor(raw: string, fields: string[]) {
    this.#raw = raw;
    this.#fields = fields;
  }

  get length(): number {
    return this.#fields.length;
  }

  text(i: number): string | null {
    const value = this.#fields[i];
    return value === undefined || value === '' ? null : value;
  }

  number(i: number): number | null {
    const value = this.#fields[i];
    if (value === undefined || value === '') return null;
    const n = Number(value);
    if (!Number.isFinite(n)) this.fail(i, 'is not a number');
    return n;
  }

  int(i: number): number | null {
    const n = this.number(i);
    if (n !== null && !Number.isInteger(n)) this.fail(i, 'is not an integer');
    return n;
  }

  char<T extends string>(i: number, allowed: readonly T[]): T | null {
    const value = this.text(i);
    if (value === null) return null;
    if (!(allowed as readonly string[]).includes(value))
      this.fail(i, `is not one of ${allowed.join('/')}`);
    return value as T;
  }

  /** hhmmss(.sss) to milliseconds since midnight. */
  time(i: number): TimeOfDayMs | null {
    const value = this.#fields[i];
    if (value === undefined || value === '') return null;
    const fraction = value.length > 6 && value.charCodeAt(6) === 46; /* . */
    if (
      value.length < 6 ||
      !isDigits(value, 0, 6) ||
      (value.length > 6 && (!fraction || value.length === 7 || !isDigits(value, 7, value.length)))
    ) {
      this.fail(i, 'is not hhmmss.sss');
    }
    const h = digitsAt(value, 0);
    const m = digitsAt(value, 2);
    const s = value.length === 6 ? digitsAt(value, 4) : Number(value.slice(4));
    if (h > 23 || m > 59 || s >= 61) this.fail(i, 'is not a time of day');
    return Math.round(((h * 60 + m) * 60 + s) * 1000);
  }

  /** ddmmyy to [year, month, day]; two-digit years are 19xx from 80, else 20xx (GPS epoch 1980). */
  date(i: number): [number, number, number] | null {
    const value = this.#fields[i];
    if (value === undefined || value === '') return null;
    if (value.length !== 6 || !isDigits(value, 0, 6)) this.fail(i, 'is not ddmmyy');
    const day = digitsAt(value, 0);
    const month = digitsAt(value, 2);
    const yy = digitsAt(value, 4);
    const year = yy >= 80 ? 1900 + yy : 2000 + yy;
    if (!isCalendarDate(year, month, day)) this.fail(i, 'is not a date');
    return [year, month, day];
  }

  /** (d)ddmm.mmmm plus hemisphere to signed degrees. */
  coordinate(i: number, hemisphere: number, kind: 'lat' | 'lon'): number | null {
    const value = this.#fields[i];
    const side = this.#fields[hemisphere];
    if (value === undefined || value === '') return null;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) this.fail(i, 'is not a coordinate');
    const degrees = Math.floor(n / 100);
    const minutes = n - degrees * 100;
    if (minutes >= 60) this.fail(i, 'has 60 or more minutes');
    const result = degrees + minutes / 60;
    const limit = kind === 'lat' ? 90 : 180;
    if (result > limit) this.fail(i, `is beyond ${limit} degrees`);
    const negative = kind === 'lat' ? 'S' : 'W';
    const positive = kind === 'lat' ? 'N' : 'E';
    if (side === negative) return -result;
    if (side === positive) return result;
    return this.fail(hemisphere, `is not ${positive}/${negative}`);
  }

  fail(i: number, reason: string): never {
    throw new NmeaFormatError(
      this.#raw,
      `field ${i} (${JSON.stringify(this.#fields[i] ?? '')}) ${reason}`,
    );
  }
}

function parseGga(talker: string, raw: string, f: Fields): GgaSentence {
  return {
    type: 'GGA',
    talker,
    raw,
    time: f.time(1),
    lat: f.coordinate(2, 3, 'lat'),
    lon: f.coordinate(4, 5, 'lon'),
    quality: f.int(6),
    satellitesUsed: f.int(7),
    hdop: f.number(8),
    altitudeM: f.number(9),
    geoidSeparationM: f.number(11),
    dgpsAgeS: f.number(13),
    dgpsStation: f.text(14),
  };
}

function parseRmc(talker: string, raw: string, f: Fields): RmcSentence {
  const variation = f.number(10);
  const variationSide = f.text(11);
  return {
    type: 'RMC',
    talker,
    raw,
    time: f.time(1),
    status: f.char(2, ['A', 'V'] as const),
    lat: f.coordinate(3, 4, 'lat'),
    lon: f.coordinate(5, 6, 'lon'),
    speedKnots: f.number(7),
    trackDeg: f.number(8),
    date: f.date(9),
    magneticVariationDeg:
      variation === null ? null : variationSide === 'W' ? -variation : variation,
    mode: f.text(12),
  };
}

function parseGll(talker: string, raw: string, f: Fields): GllSentence {
  return {
    type: 'GLL',
    talker,
    raw,
    lat: f.coordinate(1, 2, 'lat'),
    lon: f.coordinate(3, 4, 'lon'),
    time: f.time(5),
    status: f.char(6, ['A', 'V'] as const),
    mode: f.text(7),
  };
}

function parseVtg(talker: string, raw: string, f: Fields): VtgSentence {
  // NMEA 2.x tags every value with a unit letter; 1.x had four bare numbers.
  if (
    f.text(2) === 'T' ||
    f.text(4) === 'M' ||
    f.text(6) === 'N' ||
    f.text(8) === 'K' ||
    f.length > 5
  ) {
    return {
      type: 'VTG',
      talker,
      raw,
      trackTrueDeg: f.number(1),
      trackMagneticDeg: f.number(3),
      speedKnots: f.number(5),
      speedKmh: f.number(7),
      mode: f.text(9),
    };
  }
  return {
    type: 'VTG',
    talker,
    raw,
    trackTrueDeg: f.number(1),
    trackMagneticDeg: f.number(2),
    speedKnots: f.number(3),
    speedKmh: f.number(4),
    mode: null,
  };
}

function parseGsa(talker: string, raw: string, f: Fields): GsaSentence {
  const satellites: number[] = [];
  for (let i = 3; i <= 14; i += 1) {
    const prn = f.int(i);
    if (prn !== null) satellites.push(prn);
  }
  const fixType = f.int(2);
  if (fixType !== null && fixType !== 1 && fixType !== 2 && fixType !== 3)
    f.fail(2, 'is not 1, 2 or 3');
  return {
    type: 'GSA',
    talker,
    raw,
    selection: f.char(1, ['M', 'A'] as const),
    fixType,
    satellites,
    pdop: f.number(15),
    hdop: f.number(16),
    vdop: f.number(17),
    systemId: f.length > 18 ? f.int(18) : null,
  };
}

function parseGsv(talker: string, raw: string, f: Fields): GsvSentence {
  const messageCount = f.int(1);
  const messageNumber = f.int(2);
  if (
    messageCount === null ||
    messageNumber === null ||
    messageNumber < 1 ||
    messageNumber > messageCount
  ) {
    f.fail(2, 'is not a valid message number');
  }
  const satellites: SatelliteInView[] = [];
  // Four fields per satellite; NMEA 4.10 adds a signal id after the last group.
  const groups = Math.floor((f.length - 4) / 4);
  for (let g = 0; g < groups; g += 1) {
    const base = 4 + g * 4;
    const prn = f.int(base);
    if (prn === null) continue;
    satellites.push({
      prn,
      elevationDeg: f.number(base + 1),
      azimuthDeg: f.number(base + 2),
      snrDb: f.number(base + 3),
    });
  }
  const signalIndex = 4 + groups * 4;
  return {
    type: 'GSV',
    talker,
    raw,
    messageCount,
    messageNumber,
    satellitesInView: f.int(3),
    satellites,
    signalId: signalIndex < f.length ? f.text(signalIndex) : null,
  };
}

function parseGns(talker: string, raw: string, f: Fields): GnsSentence {
  return {
    type: 'GNS',
    talker,
    raw,
    time: f.time(1),
    lat: f.coordinate(2, 3, 'lat'),
    lon: f.coordinate(4, 5, 'lon'),
    modes: f.text(6),
    satellitesUsed: f.int(7),
    hdop: f.number(8),
    altitudeM: f.number(9),
    geoidSeparationM: f.number(10),
    dgpsAgeS: f.number(11),
    dgpsStation: f.text(12),
    navStatus: f.text(13),
  };
}

/** A day that exists: 29 February only in leap years, no 31 April. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseZda(talker: string, raw: string, f: Fields): ZdaSentence {
  const day = f.int(2);
  const month = f.int(3);
  const year = f.int(4);
  let date: [number, number, number] | null = null;
  if (day !== null && month !== null && year !== null) {
    if (year < 1980 || !isCalendarDate(year, month, day)) f.fail(2, 'is not a date');
    date = [year, month, day];
  }
  return {
    type: 'ZDA',
    talker,
    raw,
    time: f.time(1),
    date,
    zoneHours: f.int(5),
    zoneMinutes: f.int(6),
  };
}

function parseGst(talker: string, raw: string, f: Fields): GstSentence {
  return {
    type: 'GST',
    talker,
    raw,
    time: f.time(1),
    rmsRange: f.number(2),
    semiMajorM: f.number(3),
    semiMinorM: f.number(4),
    orientationDeg: f.number(5),
    latErrorM: f.number(6),
    lonErrorM: f.number(7),
    altErrorM: f.number(8),
  };
}

/** The checksum of a sentence body (between $ and *), for writers such as the GPS simulator. */
export function nmeaChecksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) sum ^= body.charCodeAt(i);
  return sum;
}

/** Wraps a body as a complete sentence with checksum, without line end. */
export function formatNmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
}
