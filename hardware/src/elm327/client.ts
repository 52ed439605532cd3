import {
  AdapterUnresponsiveError,
  HardwareError,
  TimeoutError,
  TransportClosedError,
} from '../errors.js';
import type { Transport } from '../transports/transport.js';
import { AdapterReplyError } from './errors.js';
import { parseDescribeProtocolNumber } from './protocols.js';
import type { ObdProtocol } from './protocols.js';
import { classifyReply, isErrorOutcome } from './replies.js';
import type { ElmReply } from './replies.js';

export interface Elm327ClientOptions {
  /** Prompt wait for ordinary commands. Slow clones need more than the ELM's own 200 ms. */
  timeoutMs?: number;
  /** Prompt wait for the first vehicle query, which may search every protocol. */
  searchTimeoutMs?: number;
  /** Prompt wait after ATZ. */
  resetTimeoutMs?: number;
  /** Consecutive timeouts after which the adapter is reset. */
  timeoutsBeforeReset?: number;
}

export interface SendOptions {
  timeoutMs?: number;
}

export interface ElmAdapterInfo {
  /** What ATZ / ATI printed, e.g. 'ELM327 v1.5'. */
  version: string;
}

export interface ElmVehicleConnection {
  protocol: ObdProtocol;
  /** The adapter found the protocol by automatic search. */
  auto: boolean;
  /** The first query's reply (0100: PIDs 01..20 supported). */
  firstReply: ElmReply;
}

export interface ElmInitResult extends ElmAdapterInfo, ElmVehicleConnection {}

/** The AT settings initialise() applies; replayed after every recovery reset. */
const SETUP_COMMANDS: readonly { command: string; optional: boolean }[] = [
  { command: 'ATE0', optional: false },
  { command: 'ATL0', optional: false },
  // Clones differ on spaces and adaptive timing; the frame parser reads both forms.
  { command: 'ATS1', optional: true },
  { command: 'ATH1', optional: false },
  { command: 'ATAT1', optional: true },
];

/** Silence that marks the end of a late reply after a timeout. */
const QUIET_MS = 150;

interface InFlight {
  command: string;
  resolve: (reply: ElmReply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Talks to an ELM327 over any Transport: one command in flight, replies
 * framed by the `>` prompt, a timeout per command, and recovery by reset
 * when the adapter stops answering.
 */
export class Elm327Client {
  readonly transport: Transport;
  readonly #timeoutMs: number;
  readonly #searchTimeoutMs: number;
  readonly #resetTimeoutMs: number;
  readonly #timeoutsBeforeReset: number;
  #buffer = '';
  #lastDataAt = 0;
  #inFlight: InFlight | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #consecutiveTimeouts = 0;
  #needsResync = false;
  #ended: HardwareError | null = null;
  #headers = false;
  #protocol: ObdProtocol | null = null;
  #setupDone = false;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(transport: Transport, options: Elm327ClientOptions = {}) {
    this.transport = transport;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#searchTimeoutMs = options.searchTimeoutMs ?? 20_000;
    this.#resetTimeoutMs = options.resetTimeoutMs ?? 5000;
    this.#timeoutsBeforeReset = options.timeoutsBeforeReset ?? 2;
    this.#unsubscribe.push(
      transport.onData((chunk) => this.#onData(chunk)),
      transport.onClose((error) => this.#onTransportClosed(error)),
    );
  }

  /** Whether replies carry headers (ATH1); the frame parser needs to know. */
  get headers(): boolean {
    return this.#headers;
  }

  /** The vehicle protocol found by connectVehicle(), or null before. */
  get protocol(): ObdProtocol | null {
    return this.#protocol;
  }

  /**
   * Sends one command and resolves with the classified reply, whatever its
   * outcome. Commands queue: one is in flight at a time.
   */
  send(command: string, options: SendOptions = {}): Promise<ElmReply> {
    const run = async (): Promise<ElmReply> => {
      if (this.#ended) throw this.#ended;
      if (this.#needsResync) await this.#recover();
      const reply = await this.#exchange(command, options.timeoutMs ?? this.#timeoutMs);
      // ATH0 sent this way changes how every later reply must be parsed too.
      if (!isErrorOutcome(reply.outcome)) this.#track(reply);
      return reply;
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Like send(), but an adapter error message becomes an AdapterReplyError. */
  async command(command: string, options: SendOptions = {}): Promise<ElmReply> {
    const reply = await this.send(command, options);
    if (isErrorOutcome(reply.outcome)) throw new AdapterReplyError(reply);
    return reply;
  }

  /** Resets and configures the adapter, then connects to the vehicle. */
  async initialize(): Promise<ElmInitResult> {
    const adapter = await this.configureAdapter();
    const vehicle = await this.connectVehicle();
    return { ...adapter, ...vehicle };
  }

  /** Reset, echo off, linefeeds off, headers on, automatic protocol. */
  async configureAdapter(): Promise<ElmAdapterInfo> {
    let reset = await this.send('ATZ', { timeoutMs: this.#resetTimeoutMs });
    // Clones that half-received noise before we connected answer '?' once.
    if (reset.outcome === 'unknown_command') {
      reset = await this.send('ATZ', { timeoutMs: this.#resetTimeoutMs });
    }
    if (isErrorOutcome(reset.outcome)) throw new AdapterReplyError(reset);
    this.#track(reset);
    let version = reset.lines.find((line) => /ELM327/i.test(line)) ?? '';
    await this.#applySetup();
    await this.command('ATSP0');
    if (!version) version = (await this.command('ATI')).lines[0] ?? 'unknown';
    this.#setupDone = true;
    return { version };
  }

  /**
   * The first query (0100) makes the adapter search for the vehicle's
   * protocol; it may print SEARCHING... first. Throws AdapterReplyError with
   * outcome 'unable_to_connect' when the ignition is off: call again later.
   */
  async connectVehicle(): Promise<ElmVehicleConnection> {
    const firstReply = await this.command('0100', { timeoutMs: this.#searchTimeoutMs });
    const dpn = await this.command('ATDPN');
    const found = parseDescribeProtocolNumber(dpn.lines[0] ?? '');
    if (!found) {
      throw new HardwareError('adapter_reply', `ATDPN answered ${JSON.stringify(dpn.raw)}`);
    }
    this.#protocol = found.protocol;
    return { protocol: found.protocol, auto: found.auto, firstReply };
  }

  /** Reads the supply voltage (ATRV), in volts. */
  async batteryVoltage(): Promise<number> {
    const reply = await this.command('ATRV');
    const value = Number.parseFloat((reply.lines[0] ?? '').replace(/V$/i, ''));
    if (!Number.isFinite(value)) {
      throw new HardwareError('adapter_reply', `ATRV answered ${JSON.stringify(reply.raw)}`);
    }
    return value;
  }

  /** Stops listening to the transport (does not close it). Queued commands fail. */
  dispose(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#onTransportClosed(null);
  }

  #track(reply: ElmReply): void {
    const command = reply.command.replace(/\s+/g, '');
    if (command === 'ATH1') this.#headers = true;
    else if (command === 'ATH0') this.#headers = false;
    else if (command === 'ATZ' || command === 'ATD' || command === 'ATWS') this.#headers = false;
  }

  async #applySetup(): Promise<void> {
    for (const { command, optional } of SETUP_COMMANDS) {
      const reply = await this.send(command);
      if (isErrorOutcome(reply.outcome)) {
        if (optional && reply.outcome === 'unknown_command') continue;
        throw new AdapterReplyError(reply);
      }
      this.#track(reply);
    }
  }

  /**
   * After a timeout the adapter may still be working on the old command. Any
   * byte interrupts a busy ELM327 (it answers STOPPED and a prompt), but a
   * bare CR would make an idle one repeat its last command; a space does
   * neither harm, as idle adapters ignore spaces. So send a space, let the
   * line go quiet and drop what arrived. Once timeouts keep coming, the
   * adapter has stopped answering: reset it with ATZ and replay the setup.
   */
  async #recover(): Promise<void> {
    this.#needsResync = false;
    if (this.#consecutiveTimeouts < this.#timeoutsBeforeReset) {
      await this.transport.write(' ');
      await this.#waitQuiet(QUIET_MS, this.#timeoutMs);
      this.#buffer = '';
      return;
    }
    try {
      const reset = await this.#exchange('ATZ', this.#resetTimeoutMs);
      if (isErrorOutcome(reset.outcome)) throw new AdapterReplyError(reset);
      this.#headers = false;
      if (this.#setupDone) {
        for (const { command, optional } of SETUP_COMMANDS) {
          const reply = await this.#exchange(command, this.#timeoutMs);
          if (isErrorOutcome(reply.outcome) && !optional) throw new AdapterReplyError(reply);
          this.#track(reply);
        }
        const protocol = this.#protocol ? `ATSP${this.#protocol.id}` : 'ATSP0';
        const reply = await this.#exchange(protocol, this.#timeoutMs);
        if (isErrorOutcome(reply.outcome)) throw new AdapterReplyError(reply);
      }
      this.#consecutiveTimeouts = 0;
    } catch (error) {
      this.#needsResync = true;
      if (error instanceof HardwareError && error.type === 'device_gone') throw error;
      throw new AdapterUnresponsiveError('the adapter stopped answering and a reset did not help', {
        cause: error,
      });
    }
  }

  /**
   * Waits until the adapter has said nothing for quietMs. Monotonic time: a
   * wall clock stepped back by NTP or GPS would otherwise stall this wait
   * (and every command behind it) for as long as the step.
   */
  async #waitQuiet(quietMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    this.#lastDataAt = Math.max(this.#lastDataAt, start);
    for (;;) {
      if (this.#ended) return;
      const idle = performance.now() - this.#lastDataAt;
      if (idle >= quietMs || performance.now() - start >= maxMs) return;
      await new Promise((resolve) => setTimeout(resolve, quietMs - idle));
    }
  }

  #exchange(command: string, timeoutMs: number): Promise<ElmReply> {
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise<ElmReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#inFlight?.timer !== timer) return;
        this.#inFlight = null;
        this.#consecutiveTimeouts += 1;
        this.#needsResync = true;
        reject(new TimeoutError(command, timeoutMs));
      }, timeoutMs);
      // Bytes that arrived while nothing was asked belong to no command.
      this.#buffer = '';
      this.#inFlight = {
        command,
        timer,
        resolve: (reply) => {
          this.#consecutiveTimeouts = 0;
          resolve(reply);
        },
        reject,
      };
      this.transport.write(`${command}\r`).catch((error: unknown) => {
        if (this.#inFlight?.timer !== timer) return;
        clearTimeout(timer);
        this.#inFlight = null;
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  #onData(chunk: Uint8Array): void {
    this.#lastDataAt = performance.now();
    this.#buffer += Buffer.from(chunk).toString('latin1');
    for (;;) {
      const prompt = this.#buffer.indexOf('>');
      if (prompt < 0) break;
      const text = this.#buffer.slice(0, prompt);
      this.#buffer = this.#buffer.slice(prompt + 1);
      const inFlight = this.#inFlight;
      if (!inFlight) continue;
      this.#inFlight = null;
      clearTimeout(inFlight.timer);
      inFlight.resolve(classifyReply(inFlight.command, text));
    }
    // A runaway stream without prompts must not grow without bound.
    if (this.#buffer.length > 65_536) this.#buffer = this.#buffer.slice(-4096);
  }

  #onTransportClosed(error: HardwareError | null): void {
    if (this.#ended) return;
    this.#ended = error ?? new TransportClosedError(this.transport.description);
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    if (inFlight) {
      clearTimeout(inFlight.timer);
      inFlight.reject(this.#ended);
    }
  }
}
