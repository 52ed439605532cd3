import type { FixQuality } from '@fleetline/protocol';
import { GGA_QUALITIES, KNOTS_TO_MPS, qualityFromModeIndicator } from './fix.js';
import type { FixMode, GnssFix } from './fix.js';
import type { NmeaSentence } from './types.js';

const DAY_MS = 86_400_000;
/**
 * Receivers send GSV less often than fixes (every 5th cycle on a BU-353,
 * once a second at 10 Hz): a sky view stands for this many epochs.
 */
const SKY_VIEW_EPOCHS = 10;

/** What one epoch has said so far; null means "not said". */
interface Epoch {
  timeOfDayMs: number | null;
  date: [number, number, number] | null;
  lat: number | null;
  lon: number | null;
  /** A sentence of this epoch declared the position invalid (RMC V, GGA 0, GLL V, GNS N). */
  invalid: boolean;
  altitudeMslM: number | null;
  geoidSeparationM: number | null;
  /** Satellites used as counted by the last GGA/GNS, and whether it had an altitude. */
  positionSatellites: number | null;
  altitudeMode: FixMode | null;
  gsaFixType: number | null;
  gsaSatellites: Set<string>;
  gsaSeen: boolean;
  qualityFromGga: FixQuality | null;
  qualityFromMode: FixQuality | null;
  speedMps: number | null;
  trackDeg: number | null;
  magneticVariationDeg: number | null;
  hdop: number | null;
  pdop: number | null;
  vdop: number | null;
  inView: Map<string, number>;
  latErrorM: number | null;
  lonErrorM: number | null;
  altErrorM: number | null;
  talkers: Set<string>;
  /** How often each cycle key occurred so far, to tell the first GNGSA from the second. */
  keyCounts: Map<string, number>;
  lastType: string | null;
  emitted: boolean;
}

function newEpoch(timeOfDayMs: number | null): Epoch {
  return {
    timeOfDayMs,
    date: null,
    lat: null,
    lon: null,
    invalid: false,
    altitudeMslM: null,
    geoidSeparationM: null,
    positionSatellites: null,
    altitudeMode: null,
    gsaFixType: null,
    gsaSatellites: new Set(),
    gsaSeen: false,
    qualityFromGga: null,
    qualityFromMode: null,
    speedMps: null,
    trackDeg: null,
    magneticVariationDeg: null,
    hdop: null,
    pdop: null,
    vdop: null,
    inView: new Map(),
    latErrorM: null,
    lonErrorM: null,
    altErrorM: null,
    talkers: new Set(),
    keyCounts: new Map(),
    lastType: null,
    emitted: false,
  };
}

/**
 * How a sentence counts for learning the cycle's last sentence: talker and
 * type, and for GSV only the final message of its group (GSV groups vary in
 * length from cycle to cycle, but always end with message n of n).
 */
function cycleKey(sentence: NmeaSentence): string | null {
  if (sentence.type === 'GSV' && sentence.messageNumber !== sentence.messageCount) return null;
  return `${sentence.talker}${sentence.type}`;
}

function sentenceTime(sentence: NmeaSentence): number | null {
  switch (sentence.type) {
    case 'GGA':
    case 'RMC':
    case 'GLL':
    case 'GNS':
    case 'ZDA':
    case 'GST':
      return sentence.time;
    default:
      return null;
  }
}

/**
 * Merges the sentences of one receiver epoch (all sharing a time of day)
 * into one fix. An epoch ends when a sentence with another time arrives, or
 * earlier, when the sentence type that closed the previous epoch shows up
 * again: receivers repeat the same order every cycle, so the fix is out
 * as soon as its last sentence is, not one cycle late.
 */
export class FixAssembler {
  #epoch: Epoch = newEpoch(null);
  #lastDate: [number, number, number] | null = null;
  /** Time of day of the latest timed epoch, kept across flush() to see midnight pass. */
  #lastTimeOfDayMs: number | null = null;
  #cycleEnder: string | null = null;
  /** The last sentence of the previous cycle, to re-learn the ender only when it repeats. */
  #previousLast: string | null = null;
  #epochSerial = 0;
  /** Satellites in view per GSV talker, and the epoch that said so. */
  #skyView = new Map<string, { count: number; epochSerial: number }>();

  /** Feeds one sentence; returns the fixes it completed (zero or one, rarely two). */
  push(sentence: NmeaSentence): GnssFix[] {
    if (sentence.type === 'OTHER') return [];
    const out: GnssFix[] = [];
    const time = sentenceTime(sentence);
    const epoch = this.#epoch;
    if (time !== null && epoch.timeOfDayMs !== null && time !== epoch.timeOfDayMs) {
      this.#learnCycleEnder(epoch);
      // The finished epoch keeps the date it belongs to; only then does the
      // carried date move on, for an epoch past midnight with no RMC/ZDA yet.
      if (!epoch.emitted && epoch.lastType) {
        const fix = this.#toFix(epoch);
        if (fix) out.push(fix);
      }
      this.#startEpoch(time);
    } else if (time !== null && epoch.timeOfDayMs === null) {
      epoch.timeOfDayMs = time;
      this.#passTime(time);
    }
    this.#apply(this.#epoch, sentence);
    const key = cycleKey(sentence);
    if (key === null) return out;
    const occurrence = (this.#epoch.keyCounts.get(key) ?? 0) + 1;
    this.#epoch.keyCounts.set(key, occurrence);
    const type = `${key}#${occurrence}`;
    this.#epoch.lastType = type;
    if (type === this.#cycleEnder && !this.#epoch.emitted) {
      const fix = this.#toFix(this.#epoch);
      if (fix) out.push(fix);
      this.#epoch.emitted = true;
    }
    return out;
  }

  #startEpoch(time: number): void {
    this.#epoch = newEpoch(time);
    this.#epochSerial += 1;
    this.#passTime(time);
  }

  /** Past midnight with no RMC/ZDA yet: the carried date moves to the next day. */
  #passTime(time: number): void {
    const previous = this.#lastTimeOfDayMs;
    if (this.#lastDate && previous !== null && time < previous - DAY_MS / 2) {
      this.#lastDate = nextDay(this.#lastDate);
    }
    this.#lastTimeOfDayMs = time;
  }

  /**
   * Learns which sentence ends a cycle. An epoch its ender never came in
   * says the ender is wrong: take the epoch's last. An epoch that went out
   * and then got more sentences may just be an occasional extra (GSV after
   * ZDA every fifth cycle): take it only when two cycles in a row end so.
   */
  #learnCycleEnder(epoch: Epoch): void {
    const last = epoch.lastType;
    if (!last) return;
    if (!epoch.emitted || last === this.#previousLast) this.#cycleEnder = last;
    this.#previousLast = last;
  }

  /** The epoch in progress as a fix, without ending it. */
  current(): GnssFix | null {
    return this.#toFix(this.#epoch);
  }

  /** Ends the epoch in progress (at end of stream) and returns it if it was not emitted yet. */
  flush(): GnssFix | null {
    const epoch = this.#epoch;
    this.#epoch = newEpoch(null);
    this.#epochSerial += 1;
    if (epoch.emitted || !epoch.lastType) return null;
    return this.#toFix(epoch);
  }

  #apply(e: Epoch, s: NmeaSentence): void {
    e.talkers.add(s.talker);
    switch (s.type) {
      case 'GGA': {
        const quality = s.quality === null ? null : (GGA_QUALITIES[s.quality] ?? null);
        if (quality === 'none' || s.lat === null || s.lon === null) {
          if (quality === 'none') e.invalid = true;
          if (s.satellitesUsed !== null) e.positionSatellites = s.satellitesUsed;
          if (s.hdop !== null) e.hdop = s.hdop;
          break;
        }
        e.qualityFromGga = quality;
        setPosition(e, s.lat, s.lon);
        this.#applyHeight(e, s.altitudeM, s.geoidSeparationM, s.satellitesUsed);
        if (s.hdop !== null) e.hdop = s.hdop;
        break;
      }
      case 'GNS': {
        const modes = s.modes ?? '';
        if (!/[^N]/.test(modes) || s.lat === null || s.lon === null) {
          if (modes && !/[^N]/.test(modes)) e.invalid = true;
          break;
        }
        const quality = [...modes].map(qualityFromModeIndicator).find((q) => q && q !== 'none');
        if (quality) e.qualityFromMode = quality;
        setPosition(e, s.lat, s.lon);
        this.#applyHeight(e, s.altitudeM, s.geoidSeparationM, s.satellitesUsed);
        if (s.hdop !== null) e.hdop = s.hdop;
        break;
      }
      case 'RMC': {
        if (s.date) e.date = s.date;
        if (s.date) this.#lastDate = s.date;
        if (s.status !== 'A' || (s.mode !== null && s.mode === 'N')) {
          e.invalid = true;
          break;
        }
        if (s.lat !== null && s.lon !== null) setPosition(e, s.lat, s.lon);
        if (s.speedKnots !== null) e.speedMps = s.speedKnots * KNOTS_TO_MPS;
        if (s.trackDeg !== null) e.trackDeg = s.trackDeg;
        if (s.magneticVariationDeg !== null) e.magneticVariationDeg = s.magneticVariationDeg;
        const quality = s.mode ? qualityFromModeIndicator(s.mode) : null;
        if (quality) e.qualityFromMode = quality;
        break;
      }
      case 'GLL': {
        if (s.status !== 'A' || s.mode === 'N') {
          e.invalid = true;
          break;
        }
        if (s.lat !== null && s.lon !== null) setPosition(e, s.lat, s.lon);
        break;
      }
      case 'VTG': {
        if (s.mode === 'N') break;
        if (s.speedKnots !== null) e.speedMps = s.speedKnots * KNOTS_TO_MPS;
        else if (s.speedKmh !== null) e.speedMps = s.speedKmh / 3.6;
        if (s.trackTrueDeg !== null) e.trackDeg = s.trackTrueDeg;
        break;
      }
      case 'GSA': {
        if (s.fixType !== null) e.gsaFixType = s.fixType;
        e.gsaSeen = true;
        // One GSA per constellation in multi-GNSS receivers: the used sets add up.
        const system = s.systemId ?? s.talker;
        for (const prn of s.satellites) e.gsaSatellites.add(`${system}:${prn}`);
        if (s.pdop !== null) e.pdop = s.pdop;
        if (s.hdop !== null) e.hdop = s.hdop;
        if (s.vdop !== null) e.vdop = s.vdop;
        break;
      }
      case 'GSV': {
        if (s.satellitesInView !== null) {
          const key = s.talker;
          const count = Math.max(e.inView.get(key) ?? 0, s.satellitesInView);
          e.inView.set(key, count);
          this.#skyView.set(key, { count, epochSerial: this.#epochSerial });
        }
        break;
      }
      case 'ZDA': {
        if (s.date) {
          e.date = s.date;
          this.#lastDate = s.date;
        }
        break;
      }
      case 'GST': {
        if (s.latErrorM !== null) e.latErrorM = s.latErrorM;
        if (s.lonErrorM !== null) e.lonErrorM = s.lonErrorM;
        if (s.altErrorM !== null) e.altErrorM = s.altErrorM;
        break;
      }
    }
  }

  #applyHeight(
    e: Epoch,
    altitude: number | null,
    separation: number | null,
    satellites: number | null,
  ): void {
    if (altitude !== null) e.altitudeMslM = altitude;
    if (separation !== null) e.geoidSeparationM = separation;
    if (satellites !== null) e.positionSatellites = satellites;
    // No altitude, or fewer than four satellites, cannot be a 3D solution.
    e.altitudeMode = altitude !== null && (satellites === null || satellites >= 4) ? '3d' : '2d';
  }

  /** This epoch's GSV counts, else the latest recent ones per talker. */
  #inView(e: Epoch): Map<string, number> {
    const counts = new Map(e.inView);
    for (const [talker, seen] of this.#skyView) {
      if (counts.has(talker)) continue;
      if (this.#epochSerial - seen.epochSerial <= SKY_VIEW_EPOCHS) counts.set(talker, seen.count);
    }
    return counts;
  }

  #dateFor(e: Epoch): [number, number, number] | null {
    return e.date ?? this.#lastDate;
  }

  #toFix(e: Epoch): GnssFix | null {
    if (!e.lastType) return null;
    const hasPosition = e.lat !== null && e.lon !== null;
    let mode: FixMode;
    if (hasPosition) mode = e.altitudeMode ?? (e.gsaFixType === 3 ? '3d' : '2d');
    // Before this epoch's position sentence, the receiver's own GSA verdict stands.
    else if (!e.invalid && e.gsaFixType === 3) mode = '3d';
    else if (!e.invalid && e.gsaFixType === 2) mode = '2d';
    else mode = 'no_fix';
    const quality: FixQuality = hasPosition
      ? (e.qualityFromGga ?? e.qualityFromMode ?? 'gps')
      : 'none';
    let time: number | null = null;
    const date = this.#dateFor(e);
    if (date && e.timeOfDayMs !== null) {
      time = Date.UTC(date[0], date[1] - 1, date[2]) + e.timeOfDayMs;
    }
    let inView: number | null = null;
    for (const count of this.#inView(e).values()) inView = (inView ?? 0) + count;
    // GSA lists every satellite used, per constellation; GGA's count is capped at 12 by some receivers.
    const used = e.gsaSeen ? e.gsaSatellites.size : e.positionSatellites;
    return {
      time,
      timeOfDayMs: e.timeOfDayMs,
      mode,
      quality,
      lat: hasPosition ? e.lat : null,
      lon: hasPosition ? e.lon : null,
      altitudeMslM: hasPosition ? e.altitudeMslM : null,
      geoidSeparationM: e.geoidSeparationM,
      speedMps: hasPosition ? e.speedMps : null,
      trackDeg: hasPosition ? e.trackDeg : null,
      magneticVariationDeg: e.magneticVariationDeg,
      hdop: e.hdop,
      pdop: e.pdop,
      vdop: e.vdop,
      satellitesUsed: used,
      satellitesInView: inView,
      latErrorM: e.latErrorM,
      lonErrorM: e.lonErrorM,
      altErrorM: e.altErrorM,
      talkers: [...e.talkers].sort(),
    };
  }
}

function nextDay([year, month, day]: [number, number, number]): [number, number, number] {
  const next = new Date(Date.UTC(year, month - 1, day) + DAY_MS);
  return [next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()];
}

function setPosition(e: Epoch, lat: number, lon: number): void {
  e.lat = lat;
  e.lon = lon;
}
