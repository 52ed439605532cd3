import type { DtcKind } from '@fleetline/protocol';
import { GuardError } from '../errors.js';
import type { Elm327Client, SendOptions } from '../elm327/client.js';
import { AdapterReplyError } from '../elm327/errors.js';
import { parseFrames } from '../elm327/frames.js';
import type { EcuMessage, IsoTpError } from '../elm327/frames.js';
import { isCan } from '../elm327/protocols.js';
import type { ObdProtocol } from '../elm327/protocols.js';
import { isErrorOutcome } from '../elm327/replies.js';
import { DTC_MODES, decodeTroubleCodes, describeTroubleCode } from './dtc.js';
import type { TroubleCode } from './dtc.js';
import { ObdNegativeResponseError, ReplyMismatchError, hex } from './errors.js';
import {
  MAX_PIDS_PER_REQUEST,
  answersMode01,
  chunkPids,
  decodeMode01Message,
  supportedPidsFromBitmask,
} from './mode01.js';
import type { ObdReading } from './mode01.js';
import {
  INFO_TYPE,
  decodeCalibrationIds,
  decodeEcuName,
  decodeVin,
  infoTypePayload,
} from './mode09.js';

export interface TroubleCodeReport {
  ecu: string | null;
  kind: DtcKind;
  codes: TroubleCode[];
}

export interface ObdAnswer {
  messages: EcuMessage[];
  /** Broken answers from other ECUs, reported beside the good ones. */
  errors: IsoTpError[];
}

/** Token the caller must pass to clear trouble codes: clearing also erases freeze frames and readiness. */
export const CLEAR_TROUBLE_CODES_CONFIRMATION = 'erase-codes-freeze-frames-and-readiness';

export interface ClearTroubleCodesOptions {
  confirm: typeof CLEAR_TROUBLE_CODES_CONFIRMATION;
}

/**
 * OBD-II services over an initialised ELM327: each request is checked
 * against its answer (service and PID), multi-frame answers reassembled, and
 * several ECUs kept apart by their headers.
 */
export class ObdSession {
  readonly elm: Elm327Client;

  constructor(elm: Elm327Client) {
    this.elm = elm;
  }

  get protocol(): ObdProtocol {
    const protocol = this.elm.protocol;
    if (!protocol)
      throw new GuardError('no vehicle protocol yet: call initialize() or connectVehicle()');
    return protocol;
  }

  /** How many PIDs one service 01 request may carry on this vehicle. */
  get maxPidsPerRequest(): number {
    return this.protocol.multiPid ? MAX_PIDS_PER_REQUEST : 1;
  }

  /**
   * Sends one service request and returns the ECU messages that answer it.
   * `answers` decides which frames belong to this request.
   */
  async request(
    mode: number,
    data: readonly number[],
    answers: (message: EcuMessage) => boolean,
    options: SendOptions = {},
  ): Promise<ObdAnswer> {
    const protocol = this.protocol;
    const command = [mode, ...data].map(hex).join('');
    const reply = await this.elm.send(command, options);
    if (isErrorOutcome(reply.outcome)) throw new AdapterReplyError(reply);
    const parsed = parseFrames(reply.lines, { family: protocol.family, headers: this.elm.headers });
    const matching = parsed.messages.filter(answers);
    if (matching.length > 0) return { messages: matching, errors: parsed.errors };
    const refusal = parsed.messages.find((m) => m.bytes[0] === 0x7f && m.bytes[1] === mode);
    if (refusal) throw new ObdNegativeResponseError(mode, refusal.bytes[2] ?? 0, refusal.ecu);
    const [firstError] = parsed.errors;
    if (firstError) throw firstError;
    throw new ReplyMismatchError(command, reply.lines.join(' | '));
  }

  /**
   * Reads service 01 PIDs, as many per request as the protocol allows.
   * PIDs the ECU does not answer are simply absent from the result: a
   * request answered NO DATA costs only its own PIDs. When no request got
   * an answer at all, that NO DATA is thrown.
   */
  async readPids(pids: readonly number[], options: SendOptions = {}): Promise<ObdReading[]> {
    const readings: ObdReading[] = [];
    let unanswered: AdapterReplyError | null = null;
    for (const chunk of chunkPids([...new Set(pids)], this.maxPidsPerRequest)) {
      let answer: ObdAnswer;
      try {
        answer = await this.request(0x01, chunk, (m) => answersMode01(m, chunk), options);
      } catch (error) {
        if (!(error instanceof AdapterReplyError) || error.outcome !== 'no_data') throw error;
        unanswered ??= error;
        continue;
      }
      for (const message of answer.messages) readings.push(...decodeMode01Message(message, chunk));
    }
    if (readings.length === 0 && unanswered) throw unanswered;
    return readings;
  }

  /** Walks 0100, 0120, 0140, ... as long as the previous bitmask announces the next one. */
  async supportedPids(): Promise<number[]> {
    const supported = new Set<number>();
    for (let base = 0x00; base <= 0xc0; base += 0x20) {
      if (base > 0 && !supported.has(base)) break;
      let readings: ObdReading[];
      try {
        readings = await this.readPids([base]);
      } catch (error) {
        // An ECU that announced the next range but does not answer it, or
        // refuses it (7F 01 12), ends the walk with what it has said so far.
        const unanswered = error instanceof AdapterReplyError && error.outcome === 'no_data';
        if (base > 0 && (unanswered || error instanceof ObdNegativeResponseError)) break;
        throw error;
      }
      for (const reading of readings) {
        for (const pid of supportedPidsFromBitmask(base, reading.value)) supported.add(pid);
      }
    }
    return [...supported].sort((a, b) => a - b);
  }

  /** Stored (03), pending (07) or permanent (0A) trouble codes, per ECU. */
  async readTroubleCodes(kind: DtcKind): Promise<TroubleCodeReport[]> {
    const mode = DTC_MODES[kind];
    const can = isCan(this.protocol);
    let answer: ObdAnswer;
    try {
      answer = await this.request(mode, [], (m) => m.bytes[0] === mode + 0x40);
    } catch (error) {
      // Legacy ECUs with nothing stored may stay silent.
      if (error instanceof AdapterReplyError && error.outcome === 'no_data') return [];
      throw error;
    }
    const byEcu = new Map<string | null, string[]>();
    for (const message of answer.messages) {
      const codes = byEcu.get(message.ecu) ?? [];
      codes.push(...decodeTroubleCodes(message.bytes.subarray(1), can));
      byEcu.set(message.ecu, codes);
    }
    return [...byEcu].map(([ecu, codes]) => ({
      ecu,
      kind,
      codes: [...new Set(codes)].map(describeTroubleCode),
    }));
  }

  /**
   * Service 04: clears codes, freeze frames and readiness monitors. Guarded:
   * the caller passes the confirmation token, so it never happens by accident.
   */
  async clearTroubleCodes(options: ClearTroubleCodesOptions): Promise<void> {
    // Checked at run time too: JavaScript callers and casts bypass the type.
    const confirm: unknown = (options as { confirm?: unknown } | undefined)?.confirm;
    if (confirm !== CLEAR_TROUBLE_CODES_CONFIRMATION) {
      throw new GuardError(
        `clearing trouble codes needs { confirm: '${CLEAR_TROUBLE_CODES_CONFIRMATION}' }`,
      );
    }
    await this.request(0x04, [], (m) => m.bytes[0] === 0x44);
  }

  /**
   * The vehicle's VIN. Several modules may answer; some answer with NULs.
   * The engine ECU (lowest address) is tried first, and the first module
   * with a well-formed VIN wins, whichever finished its frames first.
   */
  async readVin(): Promise<string> {
    const byEcu = await this.#infoByEcu(INFO_TYPE.VIN, { timeoutMs: 5000 });
    let firstError: unknown = null;
    for (const messages of byEcu) {
      try {
        return decodeVin(infoTypePayload(messages, INFO_TYPE.VIN, isCan(this.protocol)));
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }

  /** The calibration IDs of the engine ECU (the lowest address that answers). */
  async readCalibrationIds(): Promise<string[]> {
    const [messages = []] = await this.#infoByEcu(INFO_TYPE.CALIBRATION_ID);
    return decodeCalibrationIds(
      infoTypePayload(messages, INFO_TYPE.CALIBRATION_ID, isCan(this.protocol)),
    );
  }

  /** One name per answering ECU, e.g. 'ECM-EngineControl'. */
  async readEcuNames(): Promise<{ ecu: string | null; name: string }[]> {
    const answer = await this.request(
      0x09,
      [INFO_TYPE.ECU_NAME],
      (m) => m.bytes[0] === 0x49 && m.bytes[1] === INFO_TYPE.ECU_NAME,
    );
    const can = isCan(this.protocol);
    const ecus = [...new Set(answer.messages.map((m) => m.ecu))];
    return ecus.map((ecu) => ({
      ecu,
      name: decodeEcuName(
        infoTypePayload(
          answer.messages.filter((m) => m.ecu === ecu),
          INFO_TYPE.ECU_NAME,
          can,
        ),
      ),
    }));
  }

  /**
   * One service 09 info type, its messages grouped per answering ECU, the
   * lowest address first (7E8, the engine, on CAN): VIN and calibration
   * data are per module, and arrival order says nothing about which matters.
   */
  async #infoByEcu(infoType: number, options: SendOptions = {}): Promise<EcuMessage[][]> {
    const answer = await this.request(
      0x09,
      [infoType],
      (m) => m.bytes[0] === 0x49 && m.bytes[1] === infoType,
      options,
    );
    const byEcu = new Map<string | null, EcuMessage[]>();
    for (const message of answer.messages) {
      const messages = byEcu.get(message.ecu) ?? [];
      messages.push(message);
      byEcu.set(message.ecu, messages);
    }
    return [...byEcu.entries()]
      .sort(([a], [b]) => (a ?? '').localeCompare(b ?? ''))
      .map(([, messages]) => messages);
  }
}
