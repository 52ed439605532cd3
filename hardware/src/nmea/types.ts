/** Talkers the fix assembler knows; any other two-letter talker still parses. */
export const KNOWN_TALKERS = ['GP', 'GL', 'GA', 'GB', 'BD', 'GQ', 'GN', 'GI', 'QZ'] as const;

interface SentenceBase {
  /** Two-letter talker ('GP', 'GN', ...); '' for proprietary sentences. */
  talker: string;
  /** The raw line, without line end. */
  raw: string;
}

/** Time of day in UTC, as milliseconds since midnight. */
export type TimeOfDayMs = number;

export interface GgaSentence extends SentenceBase {
  type: 'GGA';
  time: TimeOfDayMs | null;
  lat: number | null;
  lon: number | null;
  /** GGA quality indicator 0..8. */
  quality: number | null;
  satellitesUsed: number | null;
  hdop: number | null;
  altitudeM: number | null;
  geoidSeparationM: number | null;
  dgpsAgeS: number | null;
  dgpsStation: string | null;
}

export interface RmcSentence extends SentenceBase {
  type: 'RMC';
  time: TimeOfDayMs | null;
  /** A = valid, V = receiver warning. */
  status: 'A' | 'V' | null;
  lat: number | null;
  lon: number | null;
  speedKnots: number | null;
  trackDeg: number | null;
  /** UTC date as [year, month (1-12), day]. */
  date: [number, number, number] | null;
  magneticVariationDeg: number | null;
  /** NMEA 2.3 mode indicator: A autonomous, D differential, E estimated, N not valid, ... */
  mode: string | null;
}

export interface GllSentence extends SentenceBase {
  type: 'GLL';
  lat: number | null;
  lon: number | null;
  time: TimeOfDayMs | null;
  status: 'A' | 'V' | null;
  mode: string | null;
}

export interface VtgSentence extends SentenceBase {
  type: 'VTG';
  trackTrueDeg: number | null;
  trackMagneticDeg: number | null;
  speedKnots: number | null;
  speedKmh: number | null;
  mode: string | null;
}

export interface GsaSentence extends SentenceBase {
  type: 'GSA';
  selection: 'M' | 'A' | null;
  /** 1 = no fix, 2 = 2D, 3 = 3D. */
  fixType: 1 | 2 | 3 | null;
  satellites: number[];
  pdop: number | null;
  hdop: number | null;
  vdop: number | null;
  /** NMEA 4.10 GNSS system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS). */
  systemId: number | null;
}

export interface SatelliteInView {
  prn: number;
  elevationDeg: number | null;
  azimuthDeg: number | null;
  snrDb: number | null;
}

export interface GsvSentence extends SentenceBase {
  type: 'GSV';
  messageCount: number;
  messageNumber: number;
  satellitesInView: number | null;
  satellites: SatelliteInView[];
  signalId: string | null;
}

export interface GnsSentence extends SentenceBase {
  type: 'GNS';
  time: TimeOfDayMs | null;
  lat: number | null;
  lon: number | null;
  /** One mode character per constellation (GPS, GLONASS, Galileo, BeiDou, ...). */
  modes: string | null;
  satellitesUsed: number | null;
  hdop: number | null;
  altitudeM: number | null;
  geoidSeparationM: number | null;
  dgpsAgeS: number | null;
  dgpsStation: string | null;
  navStatus: string | null;
}

export interface ZdaSentence extends SentenceBase {
  type: 'ZDA';
  time: TimeOfDayMs | null;
  date: [number, number, number] | null;
  zoneHours: number | null;
  zoneMinutes: number | null;
}

export interface GstSentence extends SentenceBase {
  type: 'GST';
  time: TimeOfDayMs | null;
  rmsRange: number | null;
  semiMajorM: number | null;
  semiMinorM: number | null;
  orientationDeg: number | null;
  latErrorM: number | null;
  lonErrorM: number | null;
  altErrorM: number | null;
}

/** A valid sentence we do not interpret: proprietary ($PGRME, $PMTK...) or another type (GBS, GRS). */
export interface OtherSentence extends SentenceBase {
  type: 'OTHER';
  /** The sentence identifier, e.g. 'GBS' or 'PGRME'. */
  id: string;
  proprietary: boolean;
  fields: string[];
}

export type NmeaSentence =
  | GgaSentence
  | RmcSentence
  | GllSentence
  | VtgSentence
  | GsaSentence
  | GsvSentence
  | GnsSentence
  | ZdaSentence
  | GstSentence
  | OtherSentence;
