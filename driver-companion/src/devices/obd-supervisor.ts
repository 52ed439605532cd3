import {
  AdapterReplyError,
  Elm327Client,
  HardwareError,
  ObdNegativeResponseError,
  ObdSession,
  PID,
  readingToSample,
} from '@fleetline/hardware';
import type { ObdReading, Transport } from '@fleetline/hardware';
import type { DtcKind } from '@fleetline/protocol';
import { DTC_CODE_PATTERN, DTC_KINDS } from '@fleetline/protocol';
import type { TimeSource } from '../clock/time-source.js';
import type { PollingConfig } from '../config/schema.js';
import type { DrivingDeriver } from '../derive/driving-deriver.js';
import type { SampleSink } from '../sampling/sample-sink.js';
import { PollScheduler } from '../sampling/scheduler.js';
import { Backoff, sleep } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import { messageOf, typeOf } from '../util/logger.js';
import { runDeviceLoop } from './device-loop.js';
import type { DeviceEndpoint } from './endpoints.js';
import type { DeviceError } from './gps-supervisor.js';
import { monotonicNow } from '../clock/monotonic.js';

export type ObdState =
  'disabled' | 'connecting' | 'initializing' | 'ignition_off' | 'polling' | 'backoff' | 'stopped';

export interface ObdStatus {
  state: ObdState;
  since: number;
  device: string | null;
  adapter: string | null;
  protocol: string | null;
  vin: string | null;
  ignition: boolean | null;
  batteryV: number | null;
  supportedPids: number[];
  polling: number[];
  unsupportedPlanned: number[];
  dropped: number[];
  troubleCodes: Partial<Record<DtcKind, string[]>>;
  lastReadingAt: number | null;
  readings: number;
  requests: number;
  failedRequests: number;
  /** Commands the adapter did not answer in time (the client resynchronises or resets it). */
  timeouts: number;
  connects: number;
  lastError: DeviceError | null;
}

export interface ObdSupervisorOptions {
  endpoint: DeviceEndpoint | null;
  sink: SampleSink;
  time: TimeSource;
  deriver: DrivingDeriver;
  polling: PollingConfig;
  logger: Logger;
  /** The VIN read last time (kept in the outbox): a different one is worth a warning. */
  knownVin?: string | null;
  onVin?: (vin: string) => void;
  now?: () => number;
}

/** Outcomes that mean "nothing on the bus answers": the ignition is off (or the car is gone). */
const VEHICLE_SILENT = new Set([
  'unable_to_connect',
  'bus_init_error',
  'no_data',
  'can_error',
  'bus_error',
]);
/** Whole polling rounds in which nothing answered before checking whether the vehicle is still there. */
const SILENT_ROUNDS_BEFORE_CHECK = 3;
/** Replies that make no sense in a row: the adapter reset itself (power dip) and lost its settings. */
const GARBLED_BEFORE_REINIT = 3;
/** Commands in a row without a prompt before the adapter is reopened. */
const MAX_TIMEOUTS_IN_A_ROW = 5;
/** A connection that lasted this long restarts the back-off. */
const HEALTHY_AFTER_MS = 60_000;

class VehicleGone extends Error {
  constructor() {
    super('the vehicle stopped answering (ignition off)');
  }
}

class AdapterConfused extends Error {
  constructor(cause: unknown) {
    super(`the adapter's replies stopped making sense: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Owns the OBD-II adapter. Opens it, initialises it (ATZ, echo off, headers
 * on, automatic protocol), waits for the ignition, then per ignition cycle:
 * reads the supported PIDs and the VIN, and polls the plan, packing PIDs into
 * as few requests as the protocol allows. Trouble codes are read
 * periodically and reported when they change; the supply voltage is read
 * periodically. An unplugged adapter, a reset adapter, or one that stops
 * answering is reopened with back-off; every state is in the health report.
 */
export class ObdSupervisor {
  readonly #o: ObdSupervisorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #scheduler: PollScheduler;
  readonly #backoff = new Backoff({ minMs: 1000, maxMs: 60_000 });
  readonly #abort = new AbortController();
  #status: ObdStatus;
  #loop: Promise<void> | null = null;
  #transport: Transport | null = null;
  #reportedIgnition: boolean | null = null;
  #lastCodes = new Map<DtcKind, string>();
  #dtcUnsupported = new Set<DtcKind>();
  #nextBatteryAt = 0;
  #nextDtcAt = 0;

  constructor(options: ObdSupervisorOptions) {
    this.#o = options;
    this.#now = options.now ?? monotonicNow;
    this.#log = options.logger.child({ device: 'obd' });
    this.#scheduler = new PollScheduler(
      options.polling.pids.map((p) => ({ pid: p.pid, everyMs: p.everyS * 1000 })),
      { maxPerRequest: options.polling.maxPidsPerRequest },
    );
    this.#status = {
      state: options.endpoint ? 'connecting' : 'disabled',
      since: this.#now(),
      device: options.endpoint?.label ?? null,
      adapter: null,
      protocol: null,
      vin: null,
      ignition: null,
      batteryV: null,
      supportedPids: [],
      polling: [],
      unsupportedPlanned: [],
      dropped: [],
      troubleCodes: {},
      lastReadingAt: null,
      readings: 0,
      requests: 0,
      failedRequests: 0,
      timeouts: 0,
      connects: 0,
      lastError: null,
    };
  }

  status(): ObdStatus {
    return { ...this.#status, device: this.#o.endpoint?.label ?? null };
  }

  start(): void {
    if (!this.#o.endpoint || this.#loop) return;
    let openedAt = 0;
    this.#loop = runDeviceLoop(this.#o.endpoint, this.#abort.signal, {
      name: 'OBD adapter',
      connecting: () => this.#setState('connecting'),
      opened: (transport) => {
        this.#transport = transport;
        this.#status.connects += 1;
        openedAt = this.#now();
        this.#log.info({ transport: transport.description }, 'OBD adapter open');
      },
      session: async (transport) => {
        const elm = new Elm327Client(transport, { timeoutMs: this.#o.polling.requestTimeoutMs });
        try {
          await this.#session(elm);
          return null;
        } finally {
          elm.dispose();
        }
      },
      closed: () => {
        this.#transport = null;
      },
      ended: (failure) => {
        if (this.#now() - openedAt > HEALTHY_AFTER_MS) this.#backoff.reset();
        const gone = typeOf(failure) === 'device_gone' || typeOf(failure) === 'transport_closed';
        // Without the adapter the ignition is unknown, not off: no status sample says otherwise.
        this.#status.ignition = null;
        this.#status.polling = [];
        this.#o.deriver.ignition(null, this.#o.time.now());
        return {
          lost: gone,
          what: gone ? 'OBD adapter went away' : 'OBD adapter failed; reopening',
        };
      },
      fail: (error, what) => this.#fail(error, what),
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    // Closing the port fails the command in flight at once instead of at its timeout.
    await this.#transport?.close().catch(() => undefined);
    await this.#loop;
    this.#setState('stopped');
  }

  /** One adapter connection: initialise, then alternate between ignition off and polling. */
  async #session(elm: Elm327Client): Promise<void> {
    const signal = this.#abort.signal;
    this.#setState('initializing');
    const adapter = await elm.configureAdapter();
    this.#status.adapter = adapter.version;
    this.#log.info({ adapter: adapter.version }, 'OBD adapter initialised');
    while (!signal.aborted) {
      try {
        await elm.connectVehicle();
      } catch (error) {
        if (!(error instanceof AdapterReplyError) || !VEHICLE_SILENT.has(error.outcome))
          throw error;
        await this.#ignitionOff(elm);
        continue;
      }
      try {
        await this.#poll(elm);
      } catch (error) {
        if (error instanceof VehicleGone) {
          this.#vehicleLost(this.#o.time.now());
          continue;
        }
        if (error instanceof AdapterConfused) {
          this.#log.warn({ err: error.message }, 'reinitialising the adapter');
          await elm.configureAdapter();
          continue;
        }
        throw error;
      }
    }
  }

  /** The vehicle does not answer: report the ignition off, read the battery now and then, try again. */
  async #ignitionOff(elm: Elm327Client): Promise<void> {
    this.#setState('ignition_off');
    this.#setIgnition(false, this.#o.time.now());
    await this.#maybeReadBattery(elm, false);
    await sleep(this.#o.polling.ignitionCheckEveryS * 1000, this.#abort.signal);
  }

  /** One ignition cycle: discovery, then the plan until the vehicle goes quiet. */
  async #poll(elm: Elm327Client): Promise<void> {
    const signal = this.#abort.signal;
    const obd = new ObdSession(elm);
    this.#status.protocol = elm.protocol?.name ?? null;
    this.#setIgnition(true, this.#o.time.now());
    const supported = await obd.supportedPids();
    this.#status.supportedPids = supported;
    const unsupported = this.#scheduler.reset(
      this.#o.time.now(),
      new Set(supported),
      Math.min(this.#o.polling.maxPidsPerRequest, obd.maxPidsPerRequest),
    );
    this.#status.polling = this.#scheduler.active;
    this.#status.unsupportedPlanned = unsupported;
    this.#status.dropped = [];
    this.#lastCodes.clear();
    this.#dtcUnsupported.clear();
    this.#nextDtcAt = 0;
    this.#nextBatteryAt = 0;
    if (unsupported.length > 0) {
      this.#log.info(
        { unsupported: unsupported.map(hex) },
        'planned PIDs this vehicle does not support',
      );
    }
    this.#log.info(
      {
        protocol: this.#status.protocol,
        supported: supported.length,
        polling: this.#status.polling.map(hex),
      },
      'vehicle connected',
    );
    await this.#readVin(obd);
    this.#setState('polling');

    let silentRounds = 0;
    let garbled = 0;
    let timeouts = 0;
    while (!signal.aborted) {
      const now = this.#now();
      const requests = this.#scheduler.due(now);
      let answered = 0;
      /** Refused PIDs, and whether they were asked with others (they get a solo retry first). */
      const refusedPids: { pids: number[]; packed: boolean }[] = [];
      for (const pids of requests) {
        if (signal.aborted) return;
        this.#status.requests += 1;
        try {
          const readings = await obd.readPids(pids);
          const t = this.#o.time.now();
          this.#record(readings, t);
          const got = new Set(readings.map((r) => r.pid));
          this.#scheduler.markRead(
            pids.filter((pid) => got.has(pid)),
            this.#now(),
          );
          const missing = pids.filter((pid) => !got.has(pid));
          if (missing.length > 0) refusedPids.push({ pids: missing, packed: pids.length > 1 });
          answered += 1;
          garbled = 0;
          timeouts = 0;
        } catch (error) {
          this.#status.failedRequests += 1;
          const outcome = error instanceof AdapterReplyError ? error.outcome : null;
          if (outcome === 'lv_reset') throw new AdapterConfused(error);
          if (typeOf(error) === 'timeout') {
            // The client resynchronises by itself; only a run of them means trouble.
            timeouts += 1;
            this.#status.timeouts += 1;
            this.#scheduler.markFailed(pids, this.#now(), false);
            if (timeouts >= MAX_TIMEOUTS_IN_A_ROW) throw error;
            continue;
          }
          if (isGarbled(error)) {
            garbled += 1;
            this.#scheduler.markFailed(pids, this.#now(), false);
            if (garbled >= GARBLED_BEFORE_REINIT) throw new AdapterConfused(error);
            continue;
          }
          // The ECU refused the request (7F 01 …): an answer about these PIDs, like NO DATA.
          if (error instanceof ObdNegativeResponseError) {
            refusedPids.push({ pids, packed: pids.length > 1 });
            continue;
          }
          if (!(error instanceof AdapterReplyError)) throw error;
          if (outcome === 'no_data') refusedPids.push({ pids, packed: pids.length > 1 });
          else this.#scheduler.markFailed(pids, this.#now(), false);
        }
      }
      // NO DATA counts against a PID only when the ECU answered something else
      // this round; when nothing answers, the vehicle is what went quiet.
      for (const { pids, packed } of refusedPids) {
        const dropped = this.#scheduler.markFailed(pids, this.#now(), answered > 0, packed);
        if (dropped.length > 0) {
          this.#status.dropped = this.#scheduler.dropped;
          this.#status.polling = this.#scheduler.active;
          this.#log.warn(
            { pids: dropped.map(hex) },
            'PID announced but never answered; no longer polled',
          );
        }
      }
      if (requests.length > 0) {
        silentRounds = answered === 0 ? silentRounds + 1 : 0;
        if (silentRounds >= SILENT_ROUNDS_BEFORE_CHECK) {
          if (!(await this.#vehicleAnswers(obd))) throw new VehicleGone();
          silentRounds = 0;
        }
      }
      await this.#maybeReadBattery(elm, true);
      await this.#maybeReadTroubleCodes(obd);
      const next = this.#scheduler.nextDueAt();
      const wait = next === null ? 1000 : Math.max(10, next - this.#now());
      await sleep(Math.min(wait, 1000), signal);
    }
  }

  /** 0100 is answered by every OBD-II ECU that is awake. */
  async #vehicleAnswers(obd: ObdSession): Promise<boolean> {
    try {
      await obd.readPids([0x00]);
      return true;
    } catch (error) {
      if (error instanceof AdapterReplyError && VEHICLE_SILENT.has(error.outcome)) return false;
      throw error;
    }
  }

  #record(readings: readonly ObdReading[], t: number): void {
    // Several ECUs may answer one PID (the gearbox reports speed too): keep
    // the engine's, which by convention has the lowest address.
    const chosen = new Map<string, ObdReading>();
    for (const reading of [...readings].sort((a, b) => (a.ecu ?? '').localeCompare(b.ecu ?? ''))) {
      const key = `${reading.pid}:${reading.part}`;
      if (!chosen.has(key)) chosen.set(key, reading);
    }
    for (const reading of chosen.values()) {
      if (this.#o.sink.push(readingToSample(reading, t))) this.#status.readings += 1;
      if (reading.pid === PID.SPEED) {
        this.#o.deriver.speed({ t, speedKmh: reading.value, source: 'obd' });
      } else if (reading.pid === PID.RPM) {
        this.#o.deriver.rpm(reading.value, t);
      }
    }
    if (chosen.size > 0) this.#status.lastReadingAt = t;
  }

  async #readVin(obd: ObdSession): Promise<void> {
    try {
      const vin = await obd.readVin();
      this.#status.vin = vin;
      if (this.#o.knownVin && this.#o.knownVin !== vin) {
        this.#log.warn(
          { vin, previousVin: this.#o.knownVin },
          'a different vehicle: the adapter was moved?',
        );
      } else {
        this.#log.info({ vin }, 'VIN read');
      }
      this.#o.onVin?.(vin);
    } catch (error) {
      // Older vehicles (before 2005 in Europe) often have no VIN over OBD; some
      // refuse service 09 outright (7F 09 11). Either way: no VIN, keep polling.
      if (!isTransient(error) && !(error instanceof ObdNegativeResponseError)) throw error;
      this.#log.info({ err: messageOf(error) }, 'vehicle did not report its VIN');
    }
  }

  async #maybeReadBattery(elm: Elm327Client, ignition: boolean): Promise<void> {
    const every = this.#o.polling.batteryEveryS * 1000;
    if (every <= 0 || this.#now() < this.#nextBatteryAt) return;
    this.#nextBatteryAt = this.#now() + every;
    try {
      const volts = await elm.batteryVoltage();
      this.#status.batteryV = volts;
      this.#o.sink.push({ kind: 'status', t: this.#o.time.now(), batteryV: volts, ignition });
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (typeOf(error) === 'timeout') this.#status.timeouts += 1;
      this.#log.debug({ err: messageOf(error) }, 'battery voltage unreadable');
    }
  }

  async #maybeReadTroubleCodes(obd: ObdSession): Promise<void> {
    const every = this.#o.polling.troubleCodesEveryS * 1000;
    if (every <= 0 || this.#now() < this.#nextDtcAt) return;
    this.#nextDtcAt = this.#now() + every;
    for (const kind of DTC_KINDS) {
      if (this.#dtcUnsupported.has(kind) || this.#abort.signal.aborted) continue;
      let codes: string[];
      try {
        const reports = await obd.readTroubleCodes(kind);
        codes = [...new Set(reports.flatMap((r) => r.codes.map((c) => c.code)))]
          .filter((code) => DTC_CODE_PATTERN.test(code))
          .sort();
      } catch (error) {
        if (error instanceof ObdNegativeResponseError) {
          // Service 0A came with 2010-on vehicles; older ECUs refuse it.
          this.#dtcUnsupported.add(kind);
          continue;
        }
        if (!isTransient(error)) throw error;
        if (typeOf(error) === 'timeout') this.#status.timeouts += 1;
        this.#log.debug({ kind, err: messageOf(error) }, 'trouble codes unreadable this time');
        continue;
      }
      this.#status.troubleCodes = { ...this.#status.troubleCodes, [kind]: codes };
      const key = codes.join(',');
      if (this.#lastCodes.get(kind) === key) continue;
      this.#lastCodes.set(kind, key);
      this.#o.sink.push({
        kind: 'dtc',
        t: this.#o.time.now(),
        dtcKind: kind,
        codes: codes.slice(0, 128),
      });
      if (codes.length > 0) this.#log.warn({ dtcKind: kind, codes }, 'trouble codes reported');
    }
  }

  #vehicleLost(t: number): void {
    if (this.#status.ignition === true) this.#setIgnition(false, t);
    this.#status.polling = [];
  }

  #setIgnition(on: boolean, t: number): void {
    this.#status.ignition = on;
    this.#o.deriver.ignition(on, t);
    if (this.#reportedIgnition === on) return;
    this.#reportedIgnition = on;
    this.#log.info({ ignition: on }, on ? 'ignition on' : 'ignition off');
    const batteryV = this.#status.batteryV;
    this.#o.sink.push({
      kind: 'status',
      t,
      ignition: on,
      ...(batteryV !== null ? { batteryV } : {}),
    });
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

  #setState(state: ObdState): void {
    if (this.#status.state === state) return;
    this.#status.state = state;
    this.#status.since = this.#now();
  }
}

/**
 * A failed command that says nothing about the connection: the adapter
 * answered with an error, answered nonsense, or missed one prompt (the
 * client resynchronises, and resets the adapter if that keeps happening).
 * What is left (device gone, port closed, an adapter a reset did not bring
 * back) ends the connection.
 */
function isTransient(error: unknown): boolean {
  return error instanceof AdapterReplyError || isGarbled(error) || typeOf(error) === 'timeout';
}

/** Answers that do not fit the question: a reset adapter (headers off, echo on) or line noise. */
function isGarbled(error: unknown): boolean {
  if (!(error instanceof HardwareError)) return false;
  return (
    error.type === 'reply_mismatch' ||
    error.type === 'obd_decode' ||
    error.type === 'isotp' ||
    (error instanceof AdapterReplyError &&
      (error.outcome === 'unknown_command' ||
        error.outcome === 'data_error' ||
        error.outcome === 'data_error_at'))
  );
}

function hex(pid: number): string {
  return `0x${pid.toString(16).toUpperCase().padStart(2, '0')}`;
}
