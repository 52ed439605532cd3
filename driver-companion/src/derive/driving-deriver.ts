import type { DrivingEvent } from '@fleetline/protocol';
import type { DeriveConfig } from '../config/schema.js';

/**
 * Works out trips, idling and harsh acceleration and braking from what the
 * sensors report, and emits them as `driving` samples. Thresholds are in the
 * configuration (`derive`) and documented in the README.
 *
 * - Speed comes from GPS (Doppler speed, up to 10 Hz) while it is fresh, and
 *   from OBD-II PID 0x0D otherwise. The two are never mixed in one
 *   difference: their calibrations differ by a few per cent, which would
 *   read as acceleration.
 * - A trip starts when the vehicle has moved faster than tripStartSpeedKmh
 *   for tripStartMinS with the ignition not known to be off; it ends when
 *   the ignition goes off, or, with no ignition signal (GPS only), after
 *   tripEndStationaryS standing still.
 * - Idling: the engine running (ignition on, RPM above cranking when RPM is
 *   known) and standing still for idleAfterS. The event carries the time the
 *   idling began; idle_end carries how long it lasted.
 * - Harsh acceleration and braking: the speed change over harshWindowS,
 *   as m/s², past harshAccelerationMs2 or harshBrakingMs2. One event per
 *   episode, at the episode's start, with its peak.
 */

export interface DrivingDraft {
  kind: 'driving';
  t: number;
  event: DrivingEvent;
  lat?: number | null;
  lon?: number | null;
  speedKmh?: number | null;
  accelMs2?: number | null;
  durationS?: number | null;
  distanceKm?: number | null;
}

export type SpeedSource = 'gps' | 'obd';

export interface SpeedObservation {
  t: number;
  speedKmh: number;
  source: SpeedSource;
}

export interface DerivedState {
  ignition: boolean | null;
  trip: { startT: number; distanceKm: number } | null;
  idlingSince: number | null;
  speedKmh: number | null;
  speedSource: SpeedSource | null;
}

/** What survives a restart of the companion (kept in the outbox between runs). */
export interface DeriverSnapshot {
  trip: { startT: number; distanceKm: number; lastT: number } | null;
  savedAt: number;
}

/** GPS speed older than this no longer counts as the current speed. */
const GPS_FRESH_MS = 2000;
/** RPM older than this says nothing about the engine. */
const RPM_FRESH_MS = 5000;
/** Below this the engine is not running (cranking is about 200 rpm). */
const ENGINE_RUNNING_RPM = 300;
/** A position older than this is not where an event happened. */
const POSITION_FRESH_MS = 30_000;
/** Gaps longer than this are not integrated into the trip distance. */
const MAX_INTEGRATION_GAP_MS = 60_000;
/** An open harsh episode with no speed for this long is closed. */
const EPISODE_STALE_MS = 3000;
/** The protocol's ceiling for durationS. */
const MAX_DURATION_S = 7 * 86_400;

interface Episode {
  kind: 'harsh_acceleration' | 'harsh_braking';
  startT: number;
  peak: number;
  speedKmh: number;
  where: { lat: number; lon: number } | null;
}

export class DrivingDeriver {
  readonly #c: DeriveConfig;
  readonly #emit: (draft: DrivingDraft) => void;
  #ignition: boolean | null = null;
  #engineOnSince: number | null = null;
  #rpm: { value: number; t: number } | null = null;
  #lastGpsSpeedAt = -Infinity;
  #source: SpeedSource | null = null;
  #history: SpeedObservation[] = [];
  #last: SpeedObservation | null = null;
  #position: { lat: number; lon: number; t: number } | null = null;
  #movingSince: number | null = null;
  #movingWhere: { lat: number; lon: number } | null = null;
  /** The speed that started the motion: what trip_start reports, not the speed once confirmed. */
  #movingSpeedKmh = 0;
  #pendingKm = 0;
  #stationarySince: number | null = null;
  #trip: { startT: number; distanceKm: number; lastT: number } | null = null;
  #idlingSince: number | null = null;
  #episode: Episode | null = null;

  constructor(config: DeriveConfig, emit: (draft: DrivingDraft) => void) {
    this.#c = config;
    this.#emit = emit;
  }

  state(): DerivedState {
    return {
      ignition: this.#ignition,
      trip: this.#trip
        ? { startT: this.#trip.startT, distanceKm: round(this.#trip.distanceKm, 3) }
        : null,
      idlingSince: this.#idlingSince,
      speedKmh: this.#last?.speedKmh ?? null,
      speedSource: this.#source,
    };
  }

  snapshot(now: number): DeriverSnapshot {
    return { trip: this.#trip ? { ...this.#trip } : null, savedAt: now };
  }

  /**
   * Picks up a trip that was under way when the companion stopped. If it
   * stopped long enough ago for the trip to be over, the trip is ended where
   * it was last seen, so no trip_start goes without its trip_end.
   */
  restore(snapshot: DeriverSnapshot, now: number): void {
    if (!snapshot.trip) return;
    if (now - snapshot.trip.lastT > this.#c.tripEndStationaryS * 1000) {
      const trip = snapshot.trip;
      this.#emit({
        kind: 'driving',
        t: trip.lastT,
        event: 'trip_end',
        durationS: seconds(trip.lastT - trip.startT),
        distanceKm: round(trip.distanceKm, 3),
      });
      return;
    }
    this.#trip = { ...snapshot.trip };
  }

  /**
   * The ignition as the OBD adapter reports it; null when that is no longer
   * known (the adapter went away): idling cannot be told then, and a trip
   * ends by standing still instead.
   */
  ignition(on: boolean | null, t: number): void {
    if (on === this.#ignition) return;
    this.#ignition = on;
    if (on === true) {
      this.#engineOnSince = t;
      return;
    }
    this.#engineOnSince = null;
    this.#endIdle(t);
    if (on === null) return;
    this.#endTrip(t);
    this.#movingSince = null;
    this.#pendingKm = 0;
  }

  rpm(rpm: number, t: number): void {
    const wasRunning = this.#engineRunning(t);
    this.#rpm = { value: rpm, t };
    if (!wasRunning && this.#engineRunning(t) && this.#engineOnSince === null)
      this.#engineOnSince = t;
    if (!this.#engineRunning(t)) {
      this.#engineOnSince = null;
      this.#endIdle(t);
    }
  }

  position(lat: number, lon: number, t: number): void {
    this.#position = { lat, lon, t };
  }

  speed(observation: SpeedObservation): void {
    const { t, source } = observation;
    if (source === 'gps') this.#lastGpsSpeedAt = t;
    // OBD speed only counts while GPS has nothing fresh to say.
    if (source === 'obd' && t - this.#lastGpsSpeedAt <= GPS_FRESH_MS) return;
    if (source !== this.#source) {
      this.#source = source;
      this.#history = [];
      this.#closeEpisode();
    }
    const previous = this.#last;
    if (previous && t <= previous.t) return;
    this.#last = observation;
    this.#integrate(previous, observation);
    this.#harsh(observation);
    this.#motion(observation);
    this.tick(t);
  }

  /** Time-driven transitions: the idling threshold, trips without ignition, stale episodes. */
  tick(t: number): void {
    const stationary = this.#stationarySince;
    if (
      this.#idlingSince === null &&
      stationary !== null &&
      this.#engineRunning(t) &&
      this.#engineOnSince !== null
    ) {
      const since = Math.max(stationary, this.#engineOnSince);
      if (t - since >= this.#c.idleAfterS * 1000) {
        this.#idlingSince = since;
        this.#emit({
          kind: 'driving',
          t: since,
          event: 'idle_start',
          ...this.#where(since),
          speedKmh: 0,
        });
      }
    }
    if (
      this.#trip &&
      this.#ignition === null &&
      stationary !== null &&
      t - stationary >= this.#c.tripEndStationaryS * 1000
    ) {
      this.#endTrip(stationary);
    }
    if (this.#episode && this.#last && t - this.#last.t >= EPISODE_STALE_MS) this.#closeEpisode();
  }

  #engineRunning(t: number): boolean {
    if (this.#ignition !== true) return false;
    if (this.#rpm && t - this.#rpm.t <= RPM_FRESH_MS) return this.#rpm.value >= ENGINE_RUNNING_RPM;
    return true;
  }

  #integrate(previous: SpeedObservation | null, current: SpeedObservation): void {
    if (!previous) return;
    const dt = current.t - previous.t;
    if (dt <= 0 || dt > MAX_INTEGRATION_GAP_MS) return;
    const km = ((previous.speedKmh + current.speedKmh) / 2) * (dt / 3_600_000);
    if (this.#trip) {
      this.#trip.distanceKm += km;
      this.#trip.lastT = current.t;
    } else if (this.#movingSince !== null) {
      this.#pendingKm += km;
    }
  }

  #motion(observation: SpeedObservation): void {
    const { t, speedKmh } = observation;
    const c = this.#c;
    // Hysteresis: standing still below the threshold, moving again clearly above it.
    if (speedKmh < c.stationarySpeedKmh) {
      this.#stationarySince ??= t;
    } else if (speedKmh >= c.stationarySpeedKmh * 1.5 + 1) {
      this.#stationarySince = null;
      this.#endIdle(t);
    }
    if (speedKmh >= c.tripStartSpeedKmh) {
      if (this.#movingSince === null) {
        this.#movingSince = t;
        this.#movingWhere = this.#locationAt(t);
        this.#movingSpeedKmh = speedKmh;
        this.#pendingKm = 0;
      } else if (!this.#trip && this.#movingWhere === null) {
        // No fix when the motion began (OBD speed comes before the GPS):
        // the first one within the few seconds before the trip is confirmed
        // is metres from where it started, and better than no place at all.
        this.#movingWhere = this.#locationAt(t);
      }
      if (
        !this.#trip &&
        this.#ignition !== false &&
        t - this.#movingSince >= c.tripStartMinS * 1000
      ) {
        const startT = this.#movingSince;
        this.#trip = { startT, distanceKm: this.#pendingKm, lastT: t };
        this.#emit({
          kind: 'driving',
          t: startT,
          event: 'trip_start',
          lat: this.#movingWhere?.lat ?? null,
          lon: this.#movingWhere?.lon ?? null,
          speedKmh: round(this.#movingSpeedKmh, 1),
        });
      }
    } else if (speedKmh < c.stationarySpeedKmh) {
      this.#movingSince = null;
      this.#pendingKm = 0;
    }
  }

  #harsh(observation: SpeedObservation): void {
    const windowMs = this.#c.harshWindowS * 1000;
    this.#history.push(observation);
    while (this.#history.length > 0 && observation.t - (this.#history[0]?.t ?? 0) > windowMs * 3) {
      this.#history.shift();
    }
    // The reference: the observation closest to one window ago, within reason.
    let reference: SpeedObservation | null = null;
    for (const candidate of this.#history) {
      const age = observation.t - candidate.t;
      if (age < windowMs * 0.7 || age > windowMs * 2) continue;
      if (
        !reference ||
        Math.abs(age - windowMs) < Math.abs(observation.t - reference.t - windowMs)
      ) {
        reference = candidate;
      }
    }
    if (!reference) return;
    const accel =
      (observation.speedKmh - reference.speedKmh) / 3.6 / ((observation.t - reference.t) / 1000);
    const kind =
      accel >= this.#c.harshAccelerationMs2
        ? 'harsh_acceleration'
        : accel <= -this.#c.harshBrakingMs2
          ? 'harsh_braking'
          : null;
    const episode = this.#episode;
    if (episode && episode.kind === kind) {
      episode.peak =
        kind === 'harsh_braking' ? Math.min(episode.peak, accel) : Math.max(episode.peak, accel);
      return;
    }
    if (episode) this.#closeEpisode();
    if (kind) {
      this.#episode = {
        kind,
        startT: reference.t,
        peak: accel,
        speedKmh: reference.speedKmh,
        where: this.#locationAt(reference.t),
      };
    }
  }

  #closeEpisode(): void {
    const episode = this.#episode;
    if (!episode) return;
    this.#episode = null;
    this.#emit({
      kind: 'driving',
      t: episode.startT,
      event: episode.kind,
      lat: episode.where?.lat ?? null,
      lon: episode.where?.lon ?? null,
      speedKmh: round(episode.speedKmh, 1),
      accelMs2: round(Math.max(-30, Math.min(30, episode.peak)), 2),
    });
  }

  #endIdle(t: number): void {
    if (this.#idlingSince === null) return;
    const since = this.#idlingSince;
    this.#idlingSince = null;
    this.#emit({
      kind: 'driving',
      t,
      event: 'idle_end',
      ...this.#where(t),
      durationS: seconds(t - since),
    });
  }

  #endTrip(t: number): void {
    const trip = this.#trip;
    if (!trip) return;
    this.#trip = null;
    this.#closeEpisode();
    this.#emit({
      kind: 'driving',
      t: Math.max(t, trip.startT),
      event: 'trip_end',
      ...this.#where(t),
      speedKmh: this.#last ? round(this.#last.speedKmh, 1) : null,
      durationS: seconds(t - trip.startT),
      distanceKm: round(Math.min(10_000, trip.distanceKm), 3),
    });
  }

  #locationAt(t: number): { lat: number; lon: number } | null {
    const p = this.#position;
    if (!p || Math.abs(t - p.t) > POSITION_FRESH_MS) return null;
    return { lat: p.lat, lon: p.lon };
  }

  #where(t: number): { lat: number | null; lon: number | null } {
    const at = this.#locationAt(t);
    return { lat: at?.lat ?? null, lon: at?.lon ?? null };
  }
}

function seconds(ms: number): number {
  return round(Math.min(MAX_DURATION_S, Math.max(0, ms / 1000)), 1);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
