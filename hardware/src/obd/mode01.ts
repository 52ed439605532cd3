import type { EcuMessage } from '../elm327/frames.js';
import { ObdDecodeError, hex } from './errors.js';
import { isSupportBitmaskPid, pidDefinition } from './pids.js';

/** One decoded service 01 value, shaped to become a protocol `reading` sample. */
export interface ObdReading {
  ecu: string | null;
  pid: number;
  /** Index of the value within a multi-value PID (0 for single-value PIDs). */
  part: number;
  name: string;
  value: number;
  unit: string;
  min: number;
  max: number;
}

/** ISO 15765-4 lets one request carry up to six PIDs. */
export const MAX_PIDS_PER_REQUEST = 6;

/**
 * Decodes the service 01 answer of one ECU (its bytes start with 0x41).
 * Only PIDs that were asked for are accepted, so a stray answer to another
 * request can never pass for this one.
 */
export function decodeMode01Message(
  message: EcuMessage,
  requested: readonly number[],
): ObdReading[] {
  const bytes = message.bytes;
  if (bytes[0] !== 0x41) throw new ObdDecodeError(`not a service 01 answer: ${hex(bytes[0] ?? 0)}`);
  const wanted = new Set(requested);
  const readings: ObdReading[] = [];
  let offset = 1;
  while (offset < bytes.length) {
    const pid = bytes[offset] ?? 0;
    if (!wanted.has(pid)) {
      // Trailing CAN padding after the last PID is not an answer.
      if (offset > 1 && bytes.subarray(offset).every((b) => b === 0x00 || b === 0x55 || b === 0xaa))
        break;
      throw new ObdDecodeError(`answer contains PID ${hex(pid)} that was not requested`);
    }
    const definition = pidDefinition(pid);
    if (!definition) throw new ObdDecodeError(`PID ${hex(pid)} has no known length`);
    const data = bytes.subarray(offset + 1, offset + 1 + definition.bytes);
    if (data.length < definition.bytes) {
      throw new ObdDecodeError(
        `PID ${hex(pid)} needs ${definition.bytes} data bytes, answer has ${data.length}`,
      );
    }
    definition.values.forEach((spec, part) => {
      const value = spec.decode(data);
      if (value === null) return;
      readings.push({
        ecu: message.ecu,
        pid,
        part,
        name: spec.name,
        value: Math.round(value * 1e6) / 1e6,
        unit: spec.unit,
        min: spec.min,
        max: spec.max,
      });
    });
    offset += 1 + definition.bytes;
  }
  return readings;
}

/** Whether the first PID of a service 01 answer is one that was asked for. */
export function answersMode01(message: EcuMessage, requested: readonly number[]): boolean {
  return message.bytes[0] === 0x41 && requested.includes(message.bytes[1] ?? -1);
}

/** Turns the answer to 0100/0120/... into the list of supported PIDs it announces. */
export function supportedPidsFromBitmask(base: number, bitmask: number): number[] {
  if (!isSupportBitmaskPid(base))
    throw new ObdDecodeError(`PID ${hex(base)} is not a support bitmask`);
  const pids: number[] = [];
  for (let bit = 0; bit < 32; bit += 1) {
    if (bitmask & (0x80000000 >>> bit)) pids.push(base + bit + 1);
  }
  return pids;
}

/** Splits a PID list into requests of at most `size` PIDs. */
export function chunkPids(pids: readonly number[], size: number): number[][] {
  const chunks: number[][] = [];
  for (let i = 0; i < pids.length; i += size) chunks.push(pids.slice(i, i + size));
  return chunks;
}
