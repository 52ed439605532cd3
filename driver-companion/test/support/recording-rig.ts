import {
  Elm327Simulator,
  GpsSimulator,
  MODE01_PIDS,
  createSimulatedLink,
  decodeMode01Message,
  parseFrames,
} from '@fleetline/hardware';
import type {
  Elm327Scenario,
  HardwareError,
  SimulatedLink,
  SimulatedVehicle,
  Transport,
} from '@fleetline/hardware';
import { isSupportBitmaskPid } from '@fleetline/protocol';
import { DEFAULT_BAUD } from '../../src/devices/endpoints.js';

/**
 * The simulators' end of a cable, recording every byte the simulator sent
 * and every byte it received, with the wall-clock time: the ground truth an
 * end-to-end test compares the server with. mute() makes the device fall
 * silent (bytes it writes from then on never reach the cable), so a test can
 * freeze what was emitted without pulling the cable while bytes are in it.
 */
export class RecordingTransport implements Transport {
  readonly inner: Transport;
  /** What the simulator wrote, in order. */
  readonly sent: { at: number; text: string }[] = [];
  /** What reached the simulator from the companion, in order. */
  readonly received: { at: number; text: string }[] = [];
  #muted = false;

  constructor(inner: Transport) {
    this.inner = inner;
    inner.onData((chunk) =>
      this.received.push({ at: Date.now(), text: Buffer.from(chunk).toString('latin1') }),
    );
  }

  get kind(): Transport['kind'] {
    return this.inner.kind;
  }

  get description(): string {
    return this.inner.description;
  }

  get state(): Transport['state'] {
    return this.inner.state;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.#muted) return Promise.resolve();
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.sent.push({ at: Date.now(), text });
    return this.inner.write(data);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.inner.onData(listener);
  }

  onClose(listener: (error: HardwareError | null) => void): () => void {
    return this.inner.onClose(listener);
  }

  chunks(): AsyncIterableIterator<Uint8Array> {
    return this.inner.chunks();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  mute(): void {
    this.#muted = true;
  }
}

export interface RecordingRig {
  obdPath: string;
  gpsPath: string;
  obd: RecordingTransport;
  gps: RecordingTransport;
  /** Both devices fall silent: nothing written from now on reaches the companion. */
  mute(): void;
  close(): Promise<void>;
}

/**
 * A simulated ELM327 (paced like a 38400 baud line) and GPS receiver behind
 * real pseudo-terminals (socat), as `createVehicleRig` builds them, with the
 * simulators' ends recorded.
 */
export async function createRecordingRig(options: {
  vehicle: SimulatedVehicle;
  gpsHz: number;
  vin: string;
  scenario?: Elm327Scenario;
}): Promise<RecordingRig> {
  const links: SimulatedLink[] = [];
  try {
    const obdLink = await createSimulatedLink({ kind: 'pty', baudRate: DEFAULT_BAUD.obd });
    links.push(obdLink);
    const gpsLink = await createSimulatedLink({ kind: 'pty', baudRate: DEFAULT_BAUD.gps });
    links.push(gpsLink);
    const obd = new RecordingTransport(obdLink.device);
    const gps = new RecordingTransport(gpsLink.device);
    const elm = new Elm327Simulator({
      vehicle: options.vehicle,
      scenario: options.scenario ?? {},
      vin: options.vin,
      bytesPerSecond: DEFAULT_BAUD.obd / 10,
    });
    await elm.attach(obd);
    const receiver = new GpsSimulator({
      vehicle: options.vehicle,
      rateHz: options.gpsHz,
      startTime: new Date(),
      seed: 7,
    });
    await receiver.attach(gps);
    receiver.start({ stepVehicle: true });
    return {
      obdPath: obdLink.hostPath ?? '',
      gpsPath: gpsLink.hostPath ?? '',
      obd,
      gps,
      mute() {
        receiver.stop();
        obd.mute();
        gps.mute();
      },
      async close() {
        receiver.stop();
        await elm.detach().catch(() => undefined);
        await receiver.detach().catch(() => undefined);
        for (const link of links) await link.close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const link of links) await link.close().catch(() => undefined);
    throw error;
  }
}

/** One epoch as the simulated receiver sent it. */
export interface SentEpoch {
  at: number;
  /** The epoch's UTC time, as a position sample carries it. */
  t: number;
  fix: boolean;
  lat: number | null;
  lon: number | null;
}

/** The epochs in what a GPS simulator sent (it writes one epoch per write, unpaced). */
export function sentEpochs(gps: RecordingTransport): SentEpoch[] {
  const epochs: SentEpoch[] = [];
  for (const { at, text } of gps.sent) {
    const rmc = text.split('\r\n').find((line) => /^\$G[PN]RMC,/.test(line));
    if (!rmc) throw new Error(`an epoch without RMC: ${JSON.stringify(text)}`);
    const f = rmc.split('*')[0]?.split(',') ?? [];
    const [hhmmss = '', status, lat, ns, lon, ew] = f.slice(1, 7);
    const date = f[9] ?? '';
    const t = Date.UTC(
      2000 + Number(date.slice(4, 6)),
      Number(date.slice(2, 4)) - 1,
      Number(date.slice(0, 2)),
      Number(hhmmss.slice(0, 2)),
      Number(hhmmss.slice(2, 4)),
      Number(hhmmss.slice(4, 6)),
      Math.round(Number(`0${hhmmss.slice(6)}`) * 1000),
    );
    const fix = status === 'A';
    epochs.push({
      at,
      t,
      fix,
      lat: fix && lat ? degrees(lat, 2) * (ns === 'S' ? -1 : 1) : null,
      lon: fix && lon ? degrees(lon, 3) * (ew === 'W' ? -1 : 1) : null,
    });
  }
  return epochs;
}

function degrees(text: string, degreeDigits: number): number {
  return Number(text.slice(0, degreeDigits)) + Number(text.slice(degreeDigits)) / 60;
}

/** One service 01 answer the simulated ELM327 served: what the companion must record from it. */
export interface ServedReply {
  /** When the simulator wrote the prompt that ends it. */
  at: number;
  /** When the request it answers reached the simulator. */
  requestAt: number;
  /** pid:part → value, from the engine ECU where several answered (as the companion keeps it). */
  values: Map<string, number>;
}

const VALUE_PIDS = [...MODE01_PIDS.keys()].filter((pid) => !isSupportBitmaskPid(pid));

/**
 * Service 01 answers with values in what an ELM327 simulator sent, each
 * paired with the request it answers. The simulator answers one command at
 * a time, each with one prompt, so the n-th prompt answers the n-th command.
 */
export function servedReplies(obd: RecordingTransport): ServedReply[] {
  const commands: number[] = [];
  for (const { at, text } of obd.received) {
    for (const char of text) if (char === '\r') commands.push(at);
  }
  const replies: ServedReply[] = [];
  let block = '';
  let index = 0;
  for (const { at, text } of obd.sent) {
    for (const char of text) {
      if (char !== '>') {
        block += char;
        continue;
      }
      const requestAt = commands[index] ?? Number.NaN;
      index += 1;
      const lines = block
        .split(/[\r\n]+/)
        .map((line) => line.trim())
        .filter((line) => /^7E[89A-F][0-9A-F ]+$/i.test(line));
      block = '';
      if (lines.length === 0) continue;
      const values = new Map<string, number>();
      const messages = parseFrames(lines, { family: 'can11', headers: true }).messages;
      for (const message of [...messages].sort((a, b) =>
        (a.ecu ?? '').localeCompare(b.ecu ?? ''),
      )) {
        if (message.bytes[0] !== 0x41 || isSupportBitmaskPid(message.bytes[1] ?? 0)) continue;
        for (const reading of decodeMode01Message(message, VALUE_PIDS)) {
          const key = `${reading.pid}:${reading.part}`;
          if (!values.has(key)) values.set(key, reading.value);
        }
      }
      if (values.size > 0) replies.push({ at, requestAt, values });
    }
  }
  return replies;
}
