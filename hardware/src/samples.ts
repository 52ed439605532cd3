import type { PositionSample, ReadingSample } from '@fleetline/protocol';
import type { GnssFix } from './nmea/fix.js';
import type { ObdReading } from './obd/mode01.js';

/** A position sample without its sequence number (the companion's outbox assigns it). */
export type PositionSampleDraft = Omit<PositionSample, 'seq'>;
export type ReadingSampleDraft = Omit<ReadingSample, 'seq'>;

/**
 * A fix as a protocol position sample, or null when it cannot be one: no
 * position, no fix, or no date from the receiver (a sample's time must be
 * the receiver's, never the host's guess).
 */
export function fixToPositionSample(fix: GnssFix): PositionSampleDraft | null {
  if (fix.mode === 'no_fix' || fix.quality === 'none') return null;
  if (fix.lat === null || fix.lon === null || fix.time === null) return null;
  const round = (value: number | null, digits: number): number | null =>
    value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    kind: 'position',
    t: fix.time,
    lat: fix.lat,
    lon: fix.lon,
    speedKmh: fix.speedMps === null ? null : Math.min(400, round(fix.speedMps * 3.6, 2) ?? 0),
    headingDeg: fix.trackDeg === null ? null : round(fix.trackDeg % 360, 2),
    altitudeM:
      fix.altitudeMslM === null ? null : Math.max(-1000, Math.min(10000, fix.altitudeMslM)),
    hdop: fix.hdop === null ? null : Math.min(99.99, fix.hdop),
    satellites: fix.satellitesUsed,
    fixQuality: fix.quality,
  };
}

/** An OBD reading as a protocol reading sample at time t (epoch ms). */
export function readingToSample(reading: ObdReading, t: number): ReadingSampleDraft {
  return {
    kind: 'reading',
    t,
    pid: reading.pid,
    part: reading.part,
    value: reading.value,
    unit: reading.unit,
  };
}
