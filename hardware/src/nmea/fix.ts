import { FIX_QUALITIES } from '@fleetline/protocol';
import type { FixQuality } from '@fleetline/protocol';

export type FixMode = 'no_fix' | '2d' | '3d';

/** One receiver epoch merged from all its sentences. */
export interface GnssFix {
  /** UTC epoch milliseconds; null until a date is known from RMC or ZDA (never the host's clock). */
  time: number | null;
  /** Milliseconds since UTC midnight, from the sentences' own time fields. */
  timeOfDayMs: number | null;
  mode: FixMode;
  quality: FixQuality;
  lat: number | null;
  lon: number | null;
  /** Altitude above mean sea level (GGA/GNS). */
  altitudeMslM: number | null;
  geoidSeparationM: number | null;
  speedMps: number | null;
  /** Course over ground, true north. */
  trackDeg: number | null;
  magneticVariationDeg: number | null;
  hdop: number | null;
  pdop: number | null;
  vdop: number | null;
  satellitesUsed: number | null;
  satellitesInView: number | null;
  /** GST 1-sigma errors, metres. */
  latErrorM: number | null;
  lonErrorM: number | null;
  altErrorM: number | null;
  /** Talkers that contributed, e.g. ['GN', 'GP']. */
  talkers: string[];
}

export const KNOTS_TO_MPS = 1852 / 3600;

/** GGA quality indicator 0..8: protocol's FIX_QUALITIES is listed in that order. */
export const GGA_QUALITIES: readonly FixQuality[] = FIX_QUALITIES;

/** RMC/GLL/VTG/GNS mode indicator letters to fix quality. */
export function qualityFromModeIndicator(mode: string): FixQuality | null {
  switch (mode) {
    case 'A':
      return 'gps';
    case 'D':
      return 'dgps';
    case 'P':
      return 'pps';
    case 'R':
      return 'rtk';
    case 'F':
      return 'rtk_float';
    case 'E':
      return 'estimated';
    case 'M':
      return 'manual';
    case 'S':
      return 'simulated';
    case 'N':
      return 'none';
    default:
      return null;
  }
}
