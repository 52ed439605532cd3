import { performance } from 'node:perf_hooks';
import { EARLIEST_SAMPLE_TIME_MS } from '@fleetline/protocol';

export type ClockSource = 'gps' | 'gps-holdover' | 'server' | 'system';

export interface ClockStatus {
  /** Where sample times come from right now. */
  source: ClockSource;
  /** System clock minus GPS time at the last fix, ms (positive: the system clock is ahead). */
  gpsDriftMs: number | null;
  /** System clock minus the server's clock at the last hello, ms. */
  serverDriftMs: number | null;
  /** Epoch ms of the last GPS time received. */
  lastGpsTime: number | null;
  /** Drift beyond the configured tolerance. */
  drifting: boolean;
}

export interface TimeSourceOptions {
  /** Beyond this, the system clock is not trusted and the drift is reported. */
  maxDriftMs: number;
  /** A GPS time older than this no longer counts as "there is a fix". */
  gpsFreshMs?: number;
  systemNow?: () => number;
  monotonicNow?: () => number;
  /** Called when the drift crosses maxDriftMs, either way. */
  onDriftChange?: (change: {
    drifting: boolean;
    driftMs: number;
    against: 'gps' | 'server';
  }) => void;
}

/** A reference time tied to the monotonic clock, so a stepped system clock cannot move it. */
interface Anchor {
  offsetMs: number;
  atMonotonic: number;
}

/** NMEA arrives after the epoch it describes; the least-late of recent fixes is the best offset. */
const GPS_WINDOW = 16;
const MIN_FIXES_TO_JUDGE = 3;

/**
 * Sample timestamps: GPS time while there is a fix, the system clock
 * otherwise. The two are compared at every fix (and with the server's clock
 * at every hello). When the system clock is found off by more than
 * maxDriftMs (a Raspberry Pi without a real-time clock boots in 1970, say),
 * samples without a fix keep the last reference instead, carried forward on
 * the monotonic clock, and the drift is reported.
 */
export class TimeSource {
  readonly #maxDriftMs: number;
  readonly #gpsFreshMs: number;
  readonly #systemNow: () => number;
  readonly #monotonicNow: () => number;
  readonly #onDriftChange: TimeSourceOptions['onDriftChange'];
  readonly #gpsOffsets: number[] = [];
  #gps: Anchor | null = null;
  #server: Anchor | null = null;
  #gpsDriftMs: number | null = null;
  #serverDriftMs: number | null = null;
  #lastGpsTime: number | null = null;
  #drifting = false;

  constructor(options: TimeSourceOptions) {
    this.#maxDriftMs = options.maxDriftMs;
    this.#gpsFreshMs = options.gpsFreshMs ?? 3000;
    this.#systemNow = options.systemNow ?? Date.now;
    this.#monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.#onDriftChange = options.onDriftChange;
  }

  /** A receiver's UTC time, as the fix carrying it arrives. */
  noteGpsTime(gpsTimeMs: number): void {
    if (!Number.isFinite(gpsTimeMs) || gpsTimeMs < EARLIEST_SAMPLE_TIME_MS) return;
    const mono = this.#monotonicNow();
    this.#gpsOffsets.push(gpsTimeMs - mono);
    if (this.#gpsOffsets.length > GPS_WINDOW) this.#gpsOffsets.shift();
    // Every fix arrives late by its transmission time; the largest offset is the least late.
    const offsetMs = Math.max(...this.#gpsOffsets);
    this.#gps = { offsetMs, atMonotonic: mono };
    this.#lastGpsTime = gpsTimeMs;
    this.#gpsDriftMs = Math.round(this.#systemNow() - (mono + offsetMs));
    // A receiver's first fixes can come late (its NMEA cycle is still being
    // learnt); judge the clock once a few have been seen.
    if (this.#gpsOffsets.length >= MIN_FIXES_TO_JUDGE) this.#checkDrift(this.#gpsDriftMs, 'gps');
  }

  /** The server's clock from hello (its latency makes this good to about a second). */
  noteServerTime(serverTimeMs: number): void {
    if (!Number.isFinite(serverTimeMs) || serverTimeMs < EARLIEST_SAMPLE_TIME_MS) return;
    const mono = this.#monotonicNow();
    this.#server = { offsetMs: serverTimeMs - mono, atMonotonic: mono };
    this.#serverDriftMs = Math.round(this.#systemNow() - serverTimeMs);
    // With a fix, GPS is the better judge; the server's opinion is kept for the report.
    if (!this.#gpsIsFresh(mono)) this.#checkDrift(this.#serverDriftMs, 'server');
  }

  /** Epoch ms for a sample taken now. */
  now(): number {
    const mono = this.#monotonicNow();
    switch (this.#sourceAt(mono)) {
      case 'gps':
      case 'gps-holdover':
        return Math.round(mono + (this.#gps?.offsetMs ?? 0));
      case 'server':
        return Math.round(mono + (this.#server?.offsetMs ?? 0));
      case 'system':
        return this.#systemNow();
    }
  }

  get source(): ClockSource {
    return this.#sourceAt(this.#monotonicNow());
  }

  status(): ClockStatus {
    return {
      source: this.source,
      gpsDriftMs: this.#gpsDriftMs,
      serverDriftMs: this.#serverDriftMs,
      lastGpsTime: this.#lastGpsTime,
      drifting: this.#drifting,
    };
  }

  #gpsIsFresh(mono: number): boolean {
    return this.#gps !== null && mono - this.#gps.atMonotonic <= this.#gpsFreshMs;
  }

  #sourceAt(mono: number): ClockSource {
    if (this.#gpsIsFresh(mono)) return 'gps';
    if (!this.#drifting) return 'system';
    // The system clock is known to be wrong: carry the most recent reference forward.
    const gpsAt = this.#gps?.atMonotonic ?? -Infinity;
    const serverAt = this.#server?.atMonotonic ?? -Infinity;
    if (this.#gps && gpsAt >= serverAt) return 'gps-holdover';
    if (this.#server) return 'server';
    return 'system';
  }

  #checkDrift(driftMs: number, against: 'gps' | 'server'): void {
    // Hysteresis: report once when it crosses the line, not at every fix around it.
    const drifting = this.#drifting
      ? Math.abs(driftMs) > this.#maxDriftMs / 2
      : Math.abs(driftMs) > this.#maxDriftMs;
    if (drifting === this.#drifting) return;
    this.#drifting = drifting;
    this.#onDriftChange?.({ drifting, driftMs, against });
  }
}
