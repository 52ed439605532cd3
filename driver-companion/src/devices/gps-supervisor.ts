import { GpsReader, fixToPositionSample } from '@fleetline/hardware';
import type { GnssFix, Transport } from '@fleetline/hardware';
import type { FixQuality } from '@fleetline/protocol';
import type { TimeSource } from '../clock/time-source.js';
import type { CompanionConfig } from '../config/schema.js';
import type { DrivingDeriver } from '../derive/driving-deriver.js';
import type { SampleSink } from '../sampling/sample-sink.js';
import { Backoff, sleep } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import { messageOf, typeOf } from '../util/logger.js';
import { runDeviceLoop } from './device-loop.js';
import type { DeviceEndpoint } from './endpoints.js';
import { monotonicNow } from '../clock/monotonic.js';

export type GpsState =
  | 'disabled'
  | 'connecting'
  | 'waiting_for_data'
  | 'fix'
  | 'no_fix'
  | 'silent'
  | 'backoff'
  | 'stopped';

export interface DeviceError {
  type: string;
  message: string;
  at: number;
}

export interface GpsStatus {
  state: GpsState;
  since: number;
  device: string | null;
  fix: {
    quality: FixQuality;
    t: number | null;
    lat: number | null;
    lon: number | null;
    speedKmh: number | null;
    satellites: number | null;
    hdop: number | null;
  } | null;
  lastDataAt: number | null;
  fixes: number;
  positions: number;
  badLines: number;
  connects: number;
  lastError: DeviceError | null;
}

export interface GpsSupervisorOptions {
  endpoint: DeviceEndpoint | null;
  sink: SampleSink;
  time: TimeSource;
  deriver: DrivingDeriver;
  config: CompanionConfig['gps'];
  logger: Logger;
  now?: () => number;
}

/** Silent this many times the silence timeout: reopen the port (a wedged USB receiver). */
const REOPEN_AFTER_SILENT_PERIODS = 6;
/** Data flowing this long counts as a healthy connection again (the back-off restarts). */
const HEALTHY_AFTER_MS = 30_000;

/**
 * Owns the GPS receiver: opens it, turns fixes into position samples, keeps
 * the clock in step with GPS time, watches for silence, and reconnects with
 * back-off when the receiver goes away or stops talking. Fix changes are
 * reported as status samples (gpsFix), so the server sees a tunnel as such.
 */
export class GpsSupervisor {
  readonly #o: GpsSupervisorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #backoff = new Backoff({ minMs: 1000, maxMs: 30_000 });
  readonly #abort = new AbortController();
  #status: GpsStatus;
  #loop: Promise<void> | null = null;
  #transport: Transport | null = null;
  #reportedFix: FixQuality | null = null;
  #lastPositionAt = -Infinity;

  constructor(options: GpsSupervisorOptions) {
    this.#o = options;
    this.#now = options.now ?? monotonicNow;
    this.#log = options.logger.child({ device: 'gps' });
    this.#status = {
      state: options.endpoint ? 'connecting' : 'disabled',
      since: this.#now(),
      device: options.endpoint?.label ?? null,
      fix: null,
      lastDataAt: null,
      fixes: 0,
      positions: 0,
      badLines: 0,
      connects: 0,
      lastError: null,
    };
  }

  status(): GpsStatus {
    return { ...this.#status, device: this.#o.endpoint?.label ?? null };
  }

  start(): void {
    if (!this.#o.endpoint || this.#loop) return;
    this.#loop = runDeviceLoop(this.#o.endpoint, this.#abort.signal, {
      name: 'GPS receiver',
      connecting: () => this.#setState('connecting'),
      opened: (transport) => {
        this.#transport = transport;
        this.#status.connects += 1;
        this.#log.info({ transport: transport.description }, 'GPS receiver open');
      },
      session: (transport) => this.#listen(transport),
      closed: () => {
        this.#transport = null;
      },
      ended: () => {
        this.#reportFix('none');
        return { lost: true, what: 'GPS receiver lost' };
      },
      fail: (error, what) => this.#fail(error, what),
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#transport?.close().catch(() => undefined);
    await this.#loop;
    this.#setState('stopped');
  }

  /** Reads until the receiver goes away, goes silent for too long, or we stop. */
  #listen(transport: Transport): Promise<unknown> {
    const reader = new GpsReader(transport);
    const openedAt = this.#now();
    this.#setState('waiting_for_data');
    return new Promise<unknown>((resolve) => {
      const silenceMs = this.#o.config.silenceTimeoutS * 1000;
      const cleanup: (() => void)[] = [];
      const finish = (reason: unknown): void => {
        for (const off of cleanup.splice(0)) off();
        reader.stop();
        resolve(reason);
      };
      cleanup.push(
        transport.onData(() => {
          const now = this.#now();
          this.#status.lastDataAt = now;
          if (this.#status.state === 'silent' || this.#status.state === 'waiting_for_data') {
            this.#setState('no_fix');
          }
          if (now - openedAt > HEALTHY_AFTER_MS) this.#backoff.reset();
        }),
        reader.onFix((fix) => this.#onFix(fix)),
        reader.onLineError(() => {
          this.#status.badLines += 1;
        }),
        reader.onEnd((error) => finish(error ?? new Error('the port closed'))),
      );
      const watchdog = setInterval(
        () => {
          const last = this.#status.lastDataAt ?? openedAt;
          const quietMs = this.#now() - Math.max(last, openedAt);
          if (quietMs >= silenceMs && this.#status.state !== 'silent') {
            this.#log.warn({ quietMs }, 'GPS receiver silent');
            this.#setState('silent');
            this.#reportFix('none');
          }
          if (quietMs >= silenceMs * REOPEN_AFTER_SILENT_PERIODS) {
            finish(
              Object.assign(new Error(`no data for ${Math.round(quietMs / 1000)} s`), {
                type: 'silent',
              }),
            );
          }
        },
        Math.min(1000, silenceMs),
      );
      watchdog.unref();
      cleanup.push(() => clearInterval(watchdog));
      const onAbort = (): void => finish(null);
      this.#abort.signal.addEventListener('abort', onAbort, { once: true });
      cleanup.push(() => this.#abort.signal.removeEventListener('abort', onAbort));
      reader.start();
    });
  }

  #onFix(fix: GnssFix): void {
    this.#status.fixes += 1;
    const hasFix = fix.mode !== 'no_fix' && fix.quality !== 'none' && fix.lat !== null;
    // Without a fix the time is the receiver's own clock, unchecked against the
    // satellites (after a cold start it can be a default date or seconds off):
    // only a fix's time may steer the sample clock.
    if (hasFix && fix.time !== null) this.#o.time.noteGpsTime(fix.time);
    this.#setState(hasFix ? 'fix' : 'no_fix');
    const speedKmh = fix.speedMps === null ? null : fix.speedMps * 3.6;
    this.#status.fix = {
      quality: hasFix ? fix.quality : 'none',
      t: fix.time,
      lat: fix.lat,
      lon: fix.lon,
      speedKmh: speedKmh === null ? null : Math.round(speedKmh * 10) / 10,
      satellites: fix.satellitesUsed,
      hdop: fix.hdop,
    };
    this.#reportFix(hasFix ? fix.quality : 'none');
    const draft = fixToPositionSample(fix);
    if (!draft) return;
    this.#o.deriver.position(draft.lat, draft.lon, draft.t);
    if (typeof draft.speedKmh === 'number') {
      this.#o.deriver.speed({ t: draft.t, speedKmh: draft.speedKmh, source: 'gps' });
    }
    if (draft.t - this.#lastPositionAt < this.#o.config.minIntervalMs) return;
    if (this.#o.sink.push(draft)) {
      this.#lastPositionAt = draft.t;
      this.#status.positions += 1;
    }
  }

  /** A status sample when the fix comes or goes or changes kind. */
  #reportFix(quality: FixQuality): void {
    if (quality === this.#reportedFix) return;
    // Nothing known yet, and still nothing: not worth a sample.
    if (this.#reportedFix === null && quality === 'none' && this.#status.fixes === 0) return;
    this.#reportedFix = quality;
    this.#o.sink.push({ kind: 'status', t: this.#o.time.now(), gpsFix: quality });
  }

  async #fail(error: unknown, what: string): Promise<void> {
    const delay = this.#backoff.next();
    this.#status.lastError = {
      type: typeOf(error) ?? 'error',
      message: messageOf(error),
      at: this.#now(),
    };
    this.#log.warn({ err: messageOf(error), type: typeOf(error), retryInMs: delay }, what);
    this.#setState('backoff');
    await sleep(delay, this.#abort.signal);
  }

  #setState(state: GpsState): void {
    if (this.#status.state === state) return;
    this.#status.state = state;
    this.#status.since = this.#now();
  }
}
