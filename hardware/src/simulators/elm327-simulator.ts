import { SimulatorError } from '../errors.js';
import { obdProtocol } from '../elm327/protocols.js';
import type { ObdProtocol } from '../elm327/protocols.js';
import type { Transport } from '../transports/transport.js';
import { createEngineEcu, createTransmissionEcu } from './ecus.js';
import type { SimulatedEcu, TroubleCodeSet } from './ecus.js';
import { PacedWriter } from './paced-writer.js';
import type { SimulatedVehicle } from './vehicle.js';

/** Misbehaviours to rehearse against. */
export interface Elm327Scenario {
  /** Ignition off: every vehicle query ends in UNABLE TO CONNECT. */
  engineOff?: boolean;
  troubleCodes?: Partial<TroubleCodeSet>;
  /** Every nth vehicle query answers CAN ERROR (1 = always). */
  canErrorEvery?: number;
  /** A slow adapter: extra delay before each vehicle answer, ms. */
  responseDelayMs?: number;
  /** Stops answering anything for `commands` commands after `afterCommands`, until reset. */
  hang?: { afterCommands: number; commands: number };
  /** On the nth vehicle query, send half the answer and then pull the plug. */
  unplugMidCommand?: { atQuery: number; unplug: () => void };
}

export interface Elm327SimulatorOptions {
  vehicle: SimulatedVehicle;
  /** Vehicle protocol by ELM327 number: '6' (CAN 11/500) by default; '7' for 29-bit, '3' for ISO 9141-2. */
  protocol?: string;
  vin?: string;
  calibrationId?: string;
  version?: string;
  scenario?: Elm327Scenario;
  /**
   * Line pacing in bytes per second (baud / 10 for 8N1), applied to both
   * directions; null sends as fast as the transport takes bytes. A real
   * pseudo-terminal ignores the baud rate, so this is what makes a 38400 baud
   * simulation take as long as one.
   */
  bytesPerSecond?: number | null;
  /** Time ATZ takes. */
  resetDelayMs?: number;
}

interface AdapterSettings {
  echo: boolean;
  linefeeds: boolean;
  spaces: boolean;
  headers: boolean;
  /** '0' for automatic search, else a fixed protocol number. */
  protocol: string;
  /** Protocol found by the last search; null until a query succeeds. */
  found: ObdProtocol | null;
}

const DEFAULT_SETTINGS: Omit<AdapterSettings, 'found'> = {
  echo: true,
  linefeeds: true,
  spaces: true,
  headers: false,
  protocol: '0',
};

/**
 * A virtual ELM327 in front of a simulated car, speaking byte for byte what a
 * real adapter sends: echo until ATE0, CR or CRLF line ends, the `>` prompt,
 * headers, ISO-TP multi-frame answers and the adapter's error messages.
 */
export class Elm327Simulator {
  readonly vehicle: SimulatedVehicle;
  readonly protocol: ObdProtocol;
  readonly codes: TroubleCodeSet;
  readonly scenario: Elm327Scenario;
  readonly #ecus: SimulatedEcu[];
  readonly #version: string;
  readonly #resetDelayMs: number;
  readonly #bytesPerSecond: number | null;
  #settings: AdapterSettings = { ...DEFAULT_SETTINGS, found: null };
  #transport: Transport | null = null;
  #writer: PacedWriter | null = null;
  #input = '';
  #lastCommand = '';
  #busy: NodeJS.Timeout | null = null;
  #commands = 0;
  #queries = 0;
  #hangRemaining = 0;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: Elm327SimulatorOptions) {
    this.vehicle = options.vehicle;
    const protocol = obdProtocol(options.protocol ?? '6');
    if (!protocol) throw new SimulatorError(`unknown protocol ${options.protocol}`);
    this.protocol = protocol;
    this.scenario = options.scenario ?? {};
    this.codes = {
      stored: [...(this.scenario.troubleCodes?.stored ?? [])],
      pending: [...(this.scenario.troubleCodes?.pending ?? [])],
      permanent: [...(this.scenario.troubleCodes?.permanent ?? [])],
    };
    if (this.scenario.engineOff) this.vehicle.setEngine(false);
    this.#version = options.version ?? 'ELM327 v1.5';
    this.#resetDelayMs = options.resetDelayMs ?? 20;
    this.#bytesPerSecond = options.bytesPerSecond ?? null;
    this.#ecus = [
      createEngineEcu({
        vehicle: this.vehicle,
        vin: options.vin ?? '1FL7SMV3HPC000001',
        calibrationId: options.calibrationId ?? 'FLEETLINE-SIM-01',
        codes: this.codes,
      }),
      createTransmissionEcu(this.vehicle),
    ];
  }

  /** Takes the device end of a transport (opening it if needed) and starts answering. */
  async attach(transport: Transport): Promise<void> {
    if (this.#transport) throw new SimulatorError('the simulator is already attached');
    if (transport.state !== 'open') await transport.open();
    this.#transport = transport;
    this.#writer = new PacedWriter(transport, this.#bytesPerSecond);
    this.#unsubscribe.push(
      transport.onData((chunk) => this.#receive(Buffer.from(chunk).toString('latin1'))),
      transport.onClose(() => this.#stop()),
    );
  }

  /** Stops answering; closes the transport. */
  async detach(): Promise<void> {
    const transport = this.#transport;
    this.#stop();
    if (transport) await transport.close();
  }

  #stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#busy) clearTimeout(this.#busy);
    this.#busy = null;
    this.#writer?.cancel();
    this.#transport = null;
  }

  #receive(text: string): void {
    for (const char of text) {
      if (this.#busy) {
        // Any byte while the adapter works on a vehicle query interrupts it.
        clearTimeout(this.#busy);
        this.#busy = null;
        this.#input = '';
        this.#send(`STOPPED${this.#eol()}${this.#eol()}>`);
        continue;
      }
      if (this.#settings.echo) this.#send(char);
      if (char === '\r') {
        const command = this.#input;
        this.#input = '';
        this.#command(command);
      } else if (char !== '\n' && char !== ' ' && char !== '\0') {
        this.#input += char.toUpperCase();
        // The ELM327 buffer holds about 128 characters.
        if (this.#input.length > 128) {
          this.#input = '';
          this.#reply(['?']);
        }
      }
    }
  }

  #command(raw: string): void {
    // A bare CR repeats the previous command.
    const command = raw === '' ? this.#lastCommand : raw;
    this.#lastCommand = command;
    this.#commands += 1;
    const hang = this.scenario.hang;
    if (hang && this.#commands === hang.afterCommands + 1) this.#hangRemaining = hang.commands;
    if (this.#hangRemaining > 0) {
      this.#hangRemaining -= 1;
      return;
    }
    const inputTimeMs = this.#bytesPerSecond ? ((raw.length + 1) / this.#bytesPerSecond) * 1000 : 0;
    if (command === '') {
      this.#prompt();
      return;
    }
    if (command.startsWith('AT')) {
      this.#at(command.slice(2), inputTimeMs);
      return;
    }
    if (!/^([0-9A-F]{2})+$/.test(command)) {
      this.#reply(['?']);
      return;
    }
    const delay = inputTimeMs + (this.scenario.responseDelayMs ?? 0);
    this.#busy = setTimeout(() => {
      this.#busy = null;
      this.#query(command);
    }, delay);
  }

  #at(command: string, inputTimeMs: number): void {
    const s = this.#settings;
    const ok = (): void => this.#reply(['OK']);
    const flag = (value: string): boolean | null =>
      value === '0' ? false : value === '1' ? true : null;
    const setFlag = (key: 'echo' | 'linefeeds' | 'spaces' | 'headers', value: string): void => {
      const parsed = flag(value);
      if (parsed === null) return this.#reply(['?']);
      s[key] = parsed;
      ok();
    };
    if (command === 'Z' || command === 'WS') {
      this.#busy = setTimeout(() => {
        this.#busy = null;
        this.#settings = { ...DEFAULT_SETTINGS, found: null };
        this.#hangRemaining = 0;
        this.#send(`${this.#eol()}${this.#eol()}${this.#version}${this.#eol()}${this.#eol()}>`);
      }, this.#resetDelayMs + inputTimeMs);
      return;
    }
    if (command === 'D') {
      this.#settings = { ...DEFAULT_SETTINGS, echo: s.echo, linefeeds: s.linefeeds, found: null };
      return ok();
    }
    if (command === 'I') return this.#reply([this.#version]);
    if (command === '@1') return this.#reply(['OBDII to RS232 Interpreter']);
    if (/^E[01]$/.test(command)) return setFlag('echo', command.slice(1));
    if (/^L[01]$/.test(command)) return setFlag('linefeeds', command.slice(1));
    if (/^S[01]$/.test(command)) return setFlag('spaces', command.slice(1));
    if (/^H[01]$/.test(command)) return setFlag('headers', command.slice(1));
    if (command === 'RV') {
      return this.#reply([`${this.vehicle.state.batteryV.toFixed(1)}V`]);
    }
    const sp = /^(?:SP|TP)(A?)([0-9A-C])$/.exec(command);
    if (sp) {
      const id = sp[2] ?? '0';
      s.protocol = sp[1] === 'A' ? '0' : id;
      s.found = null;
      return ok();
    }
    if (command === 'DPN') {
      const found = s.found ?? (s.protocol === '0' ? null : obdProtocol(s.protocol));
      return this.#reply([found ? `${s.protocol === '0' ? 'A' : ''}${found.id}` : '0']);
    }
    if (command === 'DP') {
      const found = s.found ?? (s.protocol === '0' ? null : obdProtocol(s.protocol));
      if (!found) return this.#reply(['AUTO']);
      return this.#reply([`${s.protocol === '0' ? 'AUTO, ' : ''}${found.name}`]);
    }
    // Settings we accept without modelling: timing, CAN formatting, memory, low power.
    if (
      /^(AT[0-2]|ST[0-9A-F]{2}|CAF[01]|CFC[01]|M[01]|PC|LP|SH[0-9A-F]{3,8}|AL|NL|R[01])$/.test(
        command,
      )
    ) {
      return ok();
    }
    this.#reply(['?']);
  }

  #query(command: string): void {
    const s = this.#settings;
    this.#queries += 1;
    const lines: string[] = [];
    const searching = s.protocol === '0' && !s.found;
    if (searching) lines.push('SEARCHING...');
    if (this.scenario.engineOff || !this.vehicle.state.ignition) {
      lines.push(searching ? 'UNABLE TO CONNECT' : 'NO DATA');
      return this.#reply(lines);
    }
    if (s.protocol !== '0' && s.protocol !== this.protocol.id) {
      lines.push(this.protocol.family.startsWith('can') ? 'CAN ERROR' : 'BUS INIT: ...ERROR');
      return this.#reply(lines);
    }
    const every = this.scenario.canErrorEvery;
    if (every && this.#queries % every === 0) {
      lines.push(this.protocol.family.startsWith('can') ? 'CAN ERROR' : 'BUS ERROR');
      return this.#reply(lines);
    }
    s.found = this.protocol;
    const bytes = (command.match(/../g) ?? []).map((h) => Number.parseInt(h, 16));
    const [mode = 0, ...data] = bytes;
    const frames: string[] = [];
    for (const ecu of this.#ecus) {
      const answer = this.#answer(ecu, mode, data);
      if (answer) frames.push(...this.#frame(ecu, answer, mode));
    }
    if (frames.length === 0) lines.push('NO DATA');
    else lines.push(...frames);
    const unplug = this.scenario.unplugMidCommand;
    if (unplug && this.#queries === unplug.atQuery) {
      const text = lines.map((line) => line + this.#eol()).join('');
      this.#send(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      // Let the half answer reach the wire before the cable goes.
      void this.#writer?.flushed().then(() => setTimeout(() => unplug.unplug(), 20));
      return;
    }
    this.#reply(lines);
  }

  #answer(ecu: SimulatedEcu, mode: number, data: readonly number[]): number[] | null {
    if (mode === 0x01) {
      // CAN allows up to six PIDs per request; the legacy buses answer one.
      const pids = this.protocol.multiPid ? data.slice(0, 6) : data.slice(0, 1);
      const out: number[] = [0x41];
      for (const pid of pids) {
        const value = ecu.mode01(pid);
        if (value) out.push(pid, ...value);
      }
      return out.length > 1 ? out : null;
    }
    const answer = ecu.service(mode, data);
    if (!answer) return null;
    if (answer[0] === 0x7f) return answer;
    if (mode === 0x09) return [0x49, data[0] ?? 0, ...answer];
    return [mode + 0x40, ...answer];
  }

  /** An ECU message as the lines the ELM327 prints for it on this protocol. */
  #frame(ecu: SimulatedEcu, message: number[], mode: number): string[] {
    const s = this.#settings;
    const hex = (bytes: readonly number[]): string =>
      bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(s.spaces ? ' ' : '');
    const join = (header: string, bytes: readonly number[]): string =>
      s.headers ? `${header}${s.spaces ? ' ' : ''}${hex(bytes)}` : hex(bytes);
    const family = this.protocol.family;
    if (family === 'can11' || family === 'can29') {
      const header =
        family === 'can11'
          ? ecu.can11
          : s.spaces
            ? (ecu.can29.match(/../g) ?? []).join(' ')
            : ecu.can29;
      if (message.length <= 7) {
        // With headers on the ELM327 shows the PCI byte and the frame's padding.
        if (s.headers) return [join(header, pad([message.length, ...message]))];
        return [hex(message)];
      }
      const frames: number[][] = [
        [0x10 | (message.length >> 8), message.length & 0xff, ...message.slice(0, 6)],
      ];
      let seq = 1;
      for (let i = 6; i < message.length; i += 7) {
        frames.push(pad([0x20 | seq, ...message.slice(i, i + 7)]));
        seq = (seq + 1) & 0x0f;
      }
      if (s.headers) return frames.map((frame) => join(header, frame));
      const length = message.length.toString(16).toUpperCase().padStart(3, '0');
      return [
        length,
        ...frames.map(
          (frame, i) =>
            `${(i & 0x0f).toString(16).toUpperCase()}:${s.spaces ? ' ' : ''}${hex(frame.slice(i === 0 ? 2 : 1))}`,
        ),
      ];
    }
    // ISO 9141 / KWP / J1850: one 7-byte data field per message; multi-message
    // answers carry their own sequence numbers (service 09) or three codes each (03/07/0A).
    const messages = legacyMessages(message, mode);
    const source = Number.parseInt(ecu.legacy, 16);
    return messages.map((m) => {
      const full = [...legacyHeader(this.protocol, source, m.length), ...m];
      const checksum = full.reduce((a, b) => (a + b) & 0xff, 0);
      return s.headers ? hex([...full, checksum]) : hex(m);
    });
  }

  #eol(): string {
    return this.#settings.linefeeds ? '\r\n' : '\r';
  }

  #reply(lines: readonly string[]): void {
    const eol = this.#eol();
    this.#send(`${lines.map((line) => line + eol).join('')}${eol}>`);
  }

  #prompt(): void {
    this.#send(`${this.#eol()}>`);
  }

  #send(text: string): void {
    this.#writer?.write(Buffer.from(text, 'latin1'));
  }
}

/**
 * Legacy response headers as vehicles send them: J1850 PWM 41 6B, VPW and
 * ISO 9141 48 6B, KWP2000 a format byte carrying the data length, then the
 * tester (F1); the last byte is the answering ECU.
 */
function legacyHeader(protocol: ObdProtocol, source: number, length: number): number[] {
  if (protocol.family === 'kwp2000') return [0x80 | length, 0xf1, source];
  if (protocol.id === '1') return [0x41, 0x6b, source];
  return [0x48, 0x6b, source];
}

function pad(frame: number[]): number[] {
  const out = [...frame];
  while (out.length < 8) out.push(0x00);
  return out;
}

function legacyMessages(message: readonly number[], mode: number): number[][] {
  const sid = message[0] ?? 0;
  if (sid === 0x49 && message.length > 7) {
    // 49 <type> <count> data...: resend as 49 <type> <seq> + 4 data bytes, first padded with NULs.
    const type = message[1] ?? 0;
    const data = message.slice(3);
    const padded = [...new Array<number>((4 - (data.length % 4)) % 4).fill(0), ...data];
    const out: number[][] = [];
    for (let i = 0; i < padded.length; i += 4)
      out.push([0x49, type, i / 4 + 1, ...padded.slice(i, i + 4)]);
    return out;
  }
  if ((mode === 0x03 || mode === 0x07 || mode === 0x0a) && sid === mode + 0x40) {
    const codes = message.slice(2);
    const out: number[][] = [];
    for (let i = 0; i < Math.max(codes.length, 1); i += 6) {
      const chunk = codes.slice(i, i + 6);
      while (chunk.length < 6) chunk.push(0);
      out.push([sid, ...chunk]);
    }
    return out;
  }
  return [[...message]];
}
