import type { GpsReceiverState, ObdLinkState } from '@fleetline/protocol';
import { monotonicNow } from '../clock/monotonic.js';
import type { GpsState } from '../devices/gps-supervisor.js';
import type { ObdState } from '../devices/obd-supervisor.js';
import type { SampleDraft } from '../outbox/samples.js';

/**
 * The companion's own health as the server and its consoles see it: the
 * OBD-II link, the GPS receiver and the outbox backlog, sent as `status`
 * samples (docs/PROTOCOL.md). The health endpoint says much more, but only
 * to someone in the vehicle; this is what a fleet manager needs to tell an
 * engine that is off from an adapter that was unplugged.
 */
export interface DeviceHealth {
  obdLink: ObdLinkState | null;
  gpsReceiver: GpsReceiverState | null;
  backlog: number;
}

/** The wire's vocabulary for the OBD supervisor's states; null while stopping. */
export function obdLinkOf(state: ObdState): ObdLinkState | null {
  switch (state) {
    case 'polling':
      return 'polling';
    case 'ignition_off':
      return 'ignition_off';
    case 'connecting':
    case 'initializing':
      return 'connecting';
    case 'backoff':
      return 'unreachable';
    case 'disabled':
      return 'disabled';
    case 'stopped':
      return null;
  }
}

/** The wire's vocabulary for the GPS supervisor's states; null while stopping. */
export function gpsReceiverOf(state: GpsState): GpsReceiverState | null {
  switch (state) {
    case 'fix':
      return 'fix';
    case 'no_fix':
      return 'no_fix';
    case 'connecting':
    case 'waiting_for_data':
      return 'connecting';
    case 'silent':
      return 'silent';
    case 'backoff':
      return 'unreachable';
    case 'disabled':
      return 'disabled';
    case 'stopped':
      return null;
  }
}

export interface DeviceHealthReporterOptions {
  read: () => DeviceHealth;
  push: (draft: SampleDraft) => void;
  /** The samples' time (GPS time when there is a fix). */
  now: () => number;
  /**
   * A monotonic clock for the schedule (default monotonicNow): sample time
   * can jump when the time source switches to GPS, and a jump back must not
   * silence the reports.
   */
  monotonic?: () => number;
  /** A report at least this often, so the backlog shown stays current (default 60 s). */
  everyMs?: number;
  /**
   * A changed device state is reported at once, but no sooner than this after
   * the previous report (default 10 s): an adapter that flaps between
   * connecting and unreachable must not fill the outbox. The latest state is
   * reported when the gap ends.
   */
  minGapMs?: number;
}

/**
 * Decides when the companion reports its health. `tick()` is called once a
 * second; a report goes out at the first tick, when a device state changed
 * (rate-limited), and every `everyMs` otherwise.
 */
export class DeviceHealthReporter {
  readonly #o: Required<DeviceHealthReporterOptions>;
  #last: { obdLink: ObdLinkState | null; gpsReceiver: GpsReceiverState | null } | null = null;
  #lastAt = -Infinity;
  #reports = 0;

  constructor(options: DeviceHealthReporterOptions) {
    this.#o = {
      everyMs: 60_000,
      minGapMs: 10_000,
      monotonic: monotonicNow,
      ...options,
    };
  }

  /** How many reports were pushed. */
  get reports(): number {
    return this.#reports;
  }

  tick(): void {
    const now = this.#o.monotonic();
    const health = this.#o.read();
    // Stopping: the supervisors are going away, which is not news for the server.
    if (health.obdLink === null || health.gpsReceiver === null) return;
    const changed =
      this.#last === null ||
      this.#last.obdLink !== health.obdLink ||
      this.#last.gpsReceiver !== health.gpsReceiver;
    const since = now - this.#lastAt;
    if (!(changed ? since >= this.#o.minGapMs : since >= this.#o.everyMs)) return;
    this.#o.push({
      kind: 'status',
      t: this.#o.now(),
      obdLink: health.obdLink,
      gpsReceiver: health.gpsReceiver,
      backlog: health.backlog,
    });
    this.#last = { obdLink: health.obdLink, gpsReceiver: health.gpsReceiver };
    this.#lastAt = now;
    this.#reports += 1;
  }
}
