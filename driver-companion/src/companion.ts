import path from 'node:path';
import { TimeSource } from './clock/time-source.js';
import type { CompanionConfig } from './config/schema.js';
import { DrivingDeriver } from './derive/driving-deriver.js';
import type { DeriverSnapshot } from './derive/driving-deriver.js';
import { endpointFor } from './devices/endpoints.js';
import type { DeviceEndpoint } from './devices/endpoints.js';
import { GpsSupervisor } from './devices/gps-supervisor.js';
import { DeviceLocator } from './devices/locator.js';
import { ObdSupervisor } from './devices/obd-supervisor.js';
import { DeviceHealthReporter, gpsReceiverOf, obdLinkOf } from './health/device-health.js';
import { startHealthServer } from './health/health-server.js';
import type { HealthServer } from './health/health-server.js';
import { assess, overall } from './health/status.js';
import type { CompanionStatus } from './health/status.js';
import { Outbox } from './outbox/outbox.js';
import { SampleSink } from './sampling/sample-sink.js';
import { Uplink } from './uplink/uplink.js';
import type { SocketFactory } from './uplink/uplink.js';
import { acquireInstanceLock } from './util/instance-lock.js';
import type { InstanceLock } from './util/instance-lock.js';
import { createLogger, messageOf } from './util/logger.js';
import type { Logger } from './util/logger.js';
import { COMPANION_VERSION } from './version.js';

export interface CompanionOptions {
  config: CompanionConfig;
  logger?: Logger;
  /**
   * Devices made elsewhere (the demo fleet's in-memory cables, tests); each
   * given one replaces what config.devices says for that role.
   */
  devices?: { obd?: DeviceEndpoint | null; gps?: DeviceEndpoint | null };
  /** Shares auto-detection between companions (one process, one set of ports). */
  locator?: DeviceLocator;
  socketFactory?: SocketFactory;
}

export const OUTBOX_FILE = 'outbox.sqlite';
const DERIVER_STATE_KEY = 'deriver';
const SAVE_STATE_EVERY_MS = 10_000;

/**
 * One in-vehicle companion: devices → sampling and derivations → outbox →
 * uplink, plus the health endpoint. The daemon (`run`), `simulate` and the
 * demo fleet all run this same class.
 */
export class Companion {
  readonly config: CompanionConfig;
  readonly logger: Logger;
  readonly outbox: Outbox;
  readonly time: TimeSource;
  readonly sink: SampleSink;
  readonly deriver: DrivingDeriver;
  readonly obd: ObdSupervisor;
  readonly gps: GpsSupervisor;
  readonly uplink: Uplink;
  /** Tells the server about the devices and the backlog (status samples). */
  readonly deviceHealth: DeviceHealthReporter;
  readonly startedAt = Date.now();
  readonly #lock: InstanceLock;
  #health: HealthServer | null = null;
  #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | null = null;
  /** The last status, kept when the outbox closes so status() still answers after stop(). */
  #final: CompanionStatus | null = null;

  private constructor(options: CompanionOptions) {
    const config = options.config;
    this.config = config;
    this.logger = options.logger ?? createLogger(config.log.level, { companion: config.name });
    const log = this.logger;
    // One companion per outbox: two would send everything twice.
    this.#lock = acquireInstanceLock(config.storage.dataDir, config.name);
    // A full disk must not keep the daemon from starting: samples wait in memory meanwhile.
    this.outbox = Outbox.openWhenPossible({
      file: path.join(config.storage.dataDir, OUTBOX_FILE),
      maxBytes: config.storage.maxDiskMb * 1024 * 1024,
      synchronous: config.storage.synchronous,
      journal: config.storage.journal,
      logger: log.child({ component: 'outbox' }),
    });
    if (!this.#lock.retry()) {
      log.warn(
        { dataDir: config.storage.dataDir },
        'no room on the disk for the companion lock: held in memory until there is',
      );
    }
    // There is room again once the outbox opens: write the lock then.
    this.outbox.onReplaced(() => this.#lock.retry());
    this.time = new TimeSource({
      maxDriftMs: config.clock.maxDriftMs,
      onDriftChange: ({ drifting, driftMs, against }) => {
        if (drifting) {
          log.warn(
            { driftMs, against },
            'system clock differs from the reference; sample times follow the reference',
          );
        } else log.info({ driftMs, against }, 'system clock agrees with the reference again');
      },
    });
    let uplink: Uplink | null = null;
    this.sink = new SampleSink({
      outbox: this.outbox,
      commitIntervalMs: config.storage.commitIntervalMs,
      logger: log.child({ component: 'sink' }),
      onCommitted: () => uplink?.notify(),
    });
    this.deriver = new DrivingDeriver(config.derive, (draft) => {
      log.info(
        {
          event: draft.event,
          t: draft.t,
          durationS: draft.durationS,
          distanceKm: draft.distanceKm,
          accelMs2: draft.accelMs2,
        },
        'driving event',
      );
      this.sink.push(draft);
    });
    const locator =
      options.locator ?? new DeviceLocator({ logger: log.child({ component: 'locator' }) });
    const obdEndpoint =
      options.devices?.obd !== undefined
        ? options.devices.obd
        : endpointFor('obd', config.devices.obd, locator);
    const gpsEndpoint =
      options.devices?.gps !== undefined
        ? options.devices.gps
        : endpointFor('gps', config.devices.gps, locator);
    this.obd = new ObdSupervisor({
      endpoint: obdEndpoint,
      sink: this.sink,
      time: this.time,
      deriver: this.deriver,
      polling: config.polling,
      logger: log,
      knownVin: this.#fromOutbox(() => this.outbox.getVin(), null),
      // Only worth a log line; an outbox in trouble must not end the OBD session.
      onVin: (vin) => this.#fromOutbox(() => this.outbox.setVin(vin), undefined),
    });
    this.gps = new GpsSupervisor({
      endpoint: gpsEndpoint,
      sink: this.sink,
      time: this.time,
      deriver: this.deriver,
      config: config.gps,
      logger: log,
    });
    uplink = new Uplink({
      url: config.server.url,
      token: config.server.token,
      config: config.uplink,
      outbox: this.outbox,
      time: this.time,
      logger: log,
      ...(options.socketFactory ? { socketFactory: options.socketFactory } : {}),
    });
    this.uplink = uplink;
    this.deviceHealth = new DeviceHealthReporter({
      read: () => ({
        obdLink: obdLinkOf(this.obd.status().state),
        gpsReceiver: gpsReceiverOf(this.gps.status().state),
        backlog: this.outbox.pending,
      }),
      push: (draft) => this.sink.push(draft),
      now: () => this.time.now(),
    });
  }

  /** Opens the outbox and starts every part; resolves once running. */
  static async start(options: CompanionOptions): Promise<Companion> {
    const companion = new Companion(options);
    await companion.#start();
    return companion;
  }

  async #start(): Promise<void> {
    const { config, logger } = this;
    const snapshot = this.#fromOutbox(
      () => this.outbox.getState<DeriverSnapshot>(DERIVER_STATE_KEY),
      null,
    );
    if (snapshot) this.deriver.restore(snapshot, this.time.now());
    this.sink.start();
    this.uplink.start();
    this.obd.start();
    this.gps.start();
    this.#every(1000, () => this.deriver.tick(this.time.now()));
    this.#every(1000, () => this.deviceHealth.tick());
    this.#every(SAVE_STATE_EVERY_MS, () => this.#saveDerived());
    if (config.health.port !== null) {
      try {
        this.#health = await startHealthServer({
          host: config.health.host,
          port: config.health.port,
          status: () => this.status(),
          logger,
        });
        this.#lock.update(this.#health.address);
        logger.info({ ...this.#health.address }, 'health endpoint listening');
      } catch (error) {
        // The daemon's job is recording; a port clash must not stop it.
        logger.error(
          { err: messageOf(error), host: config.health.host, port: config.health.port },
          'health endpoint could not listen; running without it',
        );
      }
    }
    logger.info(
      {
        version: COMPANION_VERSION,
        dataDir: config.storage.dataDir,
        server: config.server.url,
        obd: this.obd.status().device,
        gps: this.gps.status().device,
        pending: this.outbox.pending,
        lastAssignedSeq: this.outbox.lastAssignedSeq,
      },
      'companion started',
    );
  }

  get healthAddress(): { host: string; port: number } | null {
    return this.#health?.address ?? null;
  }

  status(): CompanionStatus {
    if (this.#final) return this.#final;
    const now = Date.now();
    const outboxStats = this.outbox.stats();
    const base = {
      name: this.config.name,
      version: COMPANION_VERSION,
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeS: Math.round((now - this.startedAt) / 1000),
      devices: { obd: this.obd.status(), gps: this.gps.status() },
      uplink: this.uplink.status(),
      outbox: {
        ...outboxStats,
        sink: this.sink.stats(),
        quarantined: this.outbox.quarantined(),
        recentRejections: this.outbox.recentRejections(5),
      },
      clock: { ...this.time.status(), now: this.time.now() },
      driving: this.deriver.state(),
      healthEndpoint: this.healthAddress,
    };
    const problems = assess(base, now);
    return { ...base, health: overall(problems), problems };
  }

  /**
   * Stops in order: devices first (nothing new comes in), then the last
   * commit, then the uplink (waiting up to drainMs for replies to batches in
   * flight), then the outbox. Whatever was not acknowledged stays in the
   * outbox for next time.
   */
  stop(drainMs = 5000): Promise<void> {
    this.#stopping ??= (async () => {
      for (const timer of this.#timers.splice(0)) clearInterval(timer);
      await Promise.all([this.obd.stop(), this.gps.stop()]);
      this.sink.stop();
      this.#saveDerived();
      await this.uplink.stop(drainMs);
      await this.#health?.close();
      this.#final = this.status();
      this.outbox.close();
      this.#lock.release();
      this.logger.info('companion stopped');
    })();
    return this.#stopping;
  }

  /** Small state the companion keeps in the outbox; the outbox failing it is logged, not fatal. */
  #fromOutbox<T>(work: () => T, fallback: T): T {
    try {
      return work();
    } catch (error) {
      this.logger.warn({ err: messageOf(error) }, 'outbox state unavailable');
      return fallback;
    }
  }

  #saveDerived(): void {
    try {
      this.outbox.setState(DERIVER_STATE_KEY, this.deriver.snapshot(this.time.now()));
    } catch (error) {
      this.logger.warn({ err: messageOf(error) }, 'could not save the trip state');
    }
  }

  #every(ms: number, task: () => void): void {
    const timer = setInterval(() => {
      try {
        task();
      } catch (error) {
        this.logger.error({ err: messageOf(error) }, 'periodic task failed');
      }
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}
