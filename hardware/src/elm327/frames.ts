import { HardwareError } from '../errors.js';
import type { ObdProtocolFamily } from './protocols.js';

/** One ECU's complete answer: the service bytes (e.g. 41 0C 1A F8), frames reassembled. */
export interface EcuMessage {
  /** The responding ECU's header (7E8, 18DAF110, 486B10); null when headers are off. */
  ecu: string | null;
  bytes: Uint8Array;
}

export class IsoTpError extends HardwareError {
  readonly ecu: string | null;

  constructor(ecu: string | null, message: string) {
    super('isotp', ecu ? `${ecu}: ${message}` : message);
    this.ecu = ecu;
  }
}

export interface ParsedReply {
  messages: EcuMessage[];
  /** Broken multi-frame answers: a missing frame is reported, never glued into garbage. */
  errors: IsoTpError[];
}

export interface FrameFormat {
  family: ObdProtocolFamily;
  headers: boolean;
}

function hexBytes(text: string, ecu: string | null): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9A-F]*$/.test(text)) {
    throw new IsoTpError(ecu, `not hex bytes: ${JSON.stringify(text)}`);
  }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i += 1)
    bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function headerLength(family: ObdProtocolFamily): number {
  // In hex digits: 11-bit CAN ids print as 3 digits, 29-bit as 8, legacy as 3 bytes.
  if (family === 'can11') return 3;
  if (family === 'can29') return 8;
  return 6;
}

/**
 * The answering ECU as printed in the header. KWP2000's first header byte
 * also carries the message length in its low six bits: without them, one
 * ECU keeps one id whatever the length of its answer.
 */
function ecuId(header: string, family: ObdProtocolFamily): string {
  if (family !== 'kwp2000' || header.length < 2) return header;
  const format = Number.parseInt(header.slice(0, 2), 16) & 0xc0;
  return format.toString(16).toUpperCase().padStart(2, '0') + header.slice(2);
}

interface CanAssembly {
  ecu: string | null;
  expected: number;
  data: number[];
  nextSeq: number;
}

/**
 * Turns the data lines of one reply into per-ECU messages. Pure: the same
 * lines give the same messages whatever chunks they arrived in.
 */
export function parseFrames(lines: readonly string[], format: FrameFormat): ParsedReply {
  const isCan = format.family === 'can11' || format.family === 'can29';
  if (isCan && !format.headers) return parseCanWithoutHeaders(lines);
  const messages: EcuMessage[] = [];
  const errors: IsoTpError[] = [];
  const assemblies = new Map<string, CanAssembly>();
  const broken = new Set<string>();
  const order: string[] = [];
  for (const line of lines) {
    const compact = line.toUpperCase().replace(/\s+/g, '');
    if (!compact) continue;
    if (!format.headers) {
      try {
        messages.push({ ecu: null, bytes: hexBytes(compact, null) });
      } catch (error) {
        errors.push(error as IsoTpError);
      }
      continue;
    }
    const split = headerLength(format.family);
    const ecu = ecuId(compact.slice(0, split), format.family);
    let frame: Uint8Array;
    try {
      frame = hexBytes(compact.slice(split), ecu);
    } catch (error) {
      errors.push(error as IsoTpError);
      continue;
    }
    if (!isCan) {
      // Legacy protocols print a trailing checksum byte with headers on.
      if (frame.length < 2) {
        errors.push(new IsoTpError(ecu, 'frame too short'));
        continue;
      }
      messages.push({ ecu, bytes: frame.subarray(0, frame.length - 1) });
      continue;
    }
    if (broken.has(ecu)) continue;
    const fail = (message: string): void => {
      errors.push(new IsoTpError(ecu, message));
      assemblies.delete(ecu);
      broken.add(ecu);
    };
    const pci = frame[0];
    if (pci === undefined) {
      fail('empty frame');
      continue;
    }
    const kind = pci >> 4;
    if (kind === 0) {
      const length = pci & 0x0f;
      if (length === 0 || frame.length < 1 + length) {
        fail(`single frame announces ${length} bytes but carries ${frame.length - 1}`);
        continue;
      }
      if (assemblies.has(ecu)) {
        fail('single frame in the middle of a multi-frame answer');
        continue;
      }
      messages.push({ ecu, bytes: frame.slice(1, 1 + length) });
    } else if (kind === 1) {
      const second = frame[1];
      if (second === undefined) {
        fail('first frame without length');
        continue;
      }
      const expected = ((pci & 0x0f) << 8) | second;
      if (assemblies.has(ecu)) {
        fail('a second first frame before the first answer was complete');
        continue;
      }
      assemblies.set(ecu, { ecu, expected, data: [...frame.slice(2)], nextSeq: 1 });
      order.push(ecu);
    } else if (kind === 2) {
      const assembly = assemblies.get(ecu);
      if (!assembly) {
        fail('consecutive frame without a first frame');
        continue;
      }
      const seq = pci & 0x0f;
      if (seq !== assembly.nextSeq) {
        fail(`frame ${assembly.nextSeq} is missing (got ${seq})`);
        continue;
      }
      assembly.nextSeq = (assembly.nextSeq + 1) & 0x0f;
      assembly.data.push(...frame.slice(1));
      if (assembly.data.length >= assembly.expected) {
        messages.push({ ecu, bytes: Uint8Array.from(assembly.data.slice(0, assembly.expected)) });
        assemblies.delete(ecu);
      }
    } else if (kind === 3) {
      // A flow-control frame is the adapter's own traffic; nothing to decode.
      continue;
    } else {
      fail(`unknown ISO-TP frame type ${kind}`);
    }
  }
  for (const ecu of order) {
    const assembly = assemblies.get(ecu);
    if (assembly) {
      errors.push(
        new IsoTpError(
          ecu,
          `answer ended after ${assembly.data.length} of ${assembly.expected} bytes`,
        ),
      );
    }
  }
  return { messages, errors };
}

/**
 * With headers off the ELM327 prints a multi-frame answer as a length line
 * ("014") and numbered lines ("0: ...", "1: ..."), numbers wrapping after F.
 */
function parseCanWithoutHeaders(lines: readonly string[]): ParsedReply {
  const messages: EcuMessage[] = [];
  const errors: IsoTpError[] = [];
  let assembly: { expected: number; data: number[]; next: number } | null = null;
  const finishIncomplete = (): void => {
    if (assembly) {
      errors.push(
        new IsoTpError(
          null,
          `answer ended after ${assembly.data.length} of ${assembly.expected} bytes`,
        ),
      );
    }
    assembly = null;
  };
  for (const line of lines) {
    const upper = line.toUpperCase().trim();
    if (/^[0-9A-F]{3}$/.test(upper)) {
      finishIncomplete();
      assembly = { expected: Number.parseInt(upper, 16), data: [], next: 0 };
      continue;
    }
    const numbered = /^([0-9A-F]):\s*(.*)$/.exec(upper);
    try {
      if (numbered) {
        const current: { expected: number; data: number[]; next: number } | null = assembly;
        if (!current) throw new IsoTpError(null, 'numbered line without a length line');
        const index = Number.parseInt(numbered[1] ?? '', 16);
        if (index !== current.next) {
          assembly = null;
          throw new IsoTpError(null, `line ${current.next.toString(16)} is missing`);
        }
        current.next = (current.next + 1) & 0x0f;
        current.data.push(...hexBytes((numbered[2] ?? '').replace(/\s+/g, ''), null));
        if (current.data.length >= current.expected) {
          messages.push({
            ecu: null,
            bytes: Uint8Array.from(current.data.slice(0, current.expected)),
          });
          assembly = null;
        }
        continue;
      }
      finishIncomplete();
      messages.push({ ecu: null, bytes: hexBytes(upper.replace(/\s+/g, ''), null) });
    } catch (error) {
      if (error instanceof IsoTpError) errors.push(error);
      else throw error;
    }
  }
  finishIncomplete();
  return { messages, errors };
}
