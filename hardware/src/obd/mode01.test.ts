import { describe, expect, it } from 'vitest';
import { ObdDecodeError } from './errors.js';
import {
  answersMode01,
  chunkPids,
  decodeMode01Message,
  supportedPidsFromBitmask,
} from './mode01.js';

const message = (bytes: number[]) => ({ ecu: '7E8', bytes: Uint8Array.from(bytes) });

describe('service 01 answers', () => {
  it('decodes a six-PID answer in the order the ECU sent it', () => {
    const answer = message([
      0x41, 0x0d, 0x32, 0x0c, 0x1a, 0xf8, 0x05, 0x7b, 0x2f, 0x80, 0x11, 0x33, 0x42, 0x37, 0x14,
    ]);
    const readings = decodeMode01Message(answer, [0x0c, 0x0d, 0x05, 0x2f, 0x11, 0x42]);
    expect(readings.map((r) => [r.pid, r.value, r.unit])).toEqual([
      [0x0d, 50, 'km/h'],
      [0x0c, 1726, 'rpm'],
      [0x05, 83, '°C'],
      [0x2f, 50.196078, '%'],
      [0x11, 20, '%'],
      [0x42, 14.1, 'V'],
    ]);
    expect(readings.every((r) => r.ecu === '7E8')).toBe(true);
  });

  it('never decodes a PID that was not asked for', () => {
    expect(() => decodeMode01Message(message([0x41, 0x0d, 0x32]), [0x0c])).toThrow(ObdDecodeError);
    expect(answersMode01(message([0x41, 0x0d, 0x32]), [0x0c])).toBe(false);
    expect(answersMode01(message([0x41, 0x0c, 0x1a, 0xf8]), [0x0c])).toBe(true);
    expect(answersMode01(message([0x42, 0x0c, 0x1a, 0xf8]), [0x0c])).toBe(false);
  });

  it('reports a truncated value instead of decoding garbage', () => {
    expect(() => decodeMode01Message(message([0x41, 0x0c, 0x1a]), [0x0c])).toThrow(
      /needs 2 data bytes/,
    );
  });

  it('turns support bitmasks into PID lists', () => {
    expect(supportedPidsFromBitmask(0x00, 0xbe3fa813)).toEqual([
      0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x13, 0x15,
      0x1c, 0x1f, 0x20,
    ]);
    expect(supportedPidsFromBitmask(0x20, 0x80000001)).toEqual([0x21, 0x40]);
    expect(() => supportedPidsFromBitmask(0x0c, 1)).toThrow(ObdDecodeError);
  });

  it('chunks PID lists for multi-PID requests', () => {
    expect(chunkPids([1, 2, 3, 4, 5, 6, 7, 8], 6)).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8],
    ]);
    expect(chunkPids([1, 2], 1)).toEqual([[1], [2]]);
  });
});
