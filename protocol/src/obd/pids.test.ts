import { describe, expect, it } from 'vitest';
import { MODE01_PIDS, pidDefinition } from './pids.js';

const decode = (pid: number, bytes: number[]): (number | null)[] =>
  (pidDefinition(pid)?.values ?? []).map((spec) => spec.decode(Uint8Array.from(bytes)));

describe('service 01 PID table', () => {
  it('defines every standard PID from 0x00 to 0x5F, each with a name, unit and range', () => {
    for (let pid = 0x00; pid <= 0x5f; pid += 1) {
      const definition = MODE01_PIDS.get(pid);
      expect(definition, `PID ${pid.toString(16)}`).toBeDefined();
      expect(definition?.bytes).toBeGreaterThan(0);
      for (const value of definition?.values ?? []) {
        expect(value.unit.length).toBeGreaterThan(0);
        expect(value.unit.length).toBeLessThanOrEqual(16);
        expect(value.min).toBeLessThan(value.max);
      }
    }
  });

  it('keeps every decoded value inside its documented range for all-zero and all-FF data', () => {
    for (const definition of MODE01_PIDS.values()) {
      for (const fill of [0x00, 0xff, 0x80]) {
        const data = Uint8Array.from(new Array<number>(definition.bytes).fill(fill));
        for (const spec of definition.values) {
          const value = spec.decode(data);
          if (value === null) continue;
          expect(value, `${spec.name} for ${fill}`).toBeGreaterThanOrEqual(spec.min - 1e-9);
          expect(value, `${spec.name} for ${fill}`).toBeLessThanOrEqual(spec.max + 1e-9);
        }
      }
    }
  });

  it('applies the SAE J1979 formulas', () => {
    expect(decode(0x0c, [0x1a, 0xf8])).toEqual([1726]);
    expect(decode(0x0d, [0x32])).toEqual([50]);
    expect(decode(0x05, [0x7b])).toEqual([83]);
    expect(decode(0x04, [0xff])).toEqual([100]);
    expect(decode(0x06, [0x80])).toEqual([0]);
    expect(decode(0x10, [0x01, 0xf4])).toEqual([5]);
    expect(decode(0x0e, [0x80])).toEqual([0]);
    expect(decode(0x42, [0x37, 0x14])).toEqual([14.1]);
    expect(decode(0x5e, [0x00, 0x64])).toEqual([5]);
    expect(decode(0x5d, [0x69, 0x00])).toEqual([0]);
    expect(decode(0x3c, [0x11, 0x94])).toEqual([410]);
    expect(decode(0x32, [0xff, 0xfc])).toEqual([-1]);
    expect(decode(0x54, [0xff, 0xff])).toEqual([-1]);
    expect(decode(0x22, [0x00, 0x64])).toEqual([7.9]);
  });

  it('splits multi-value PIDs into parts and marks an unused O2 trim as unavailable', () => {
    expect(decode(0x14, [0x64, 0x80])).toEqual([0.5, 0]);
    expect(decode(0x14, [0x64, 0xff])).toEqual([0.5, null]);
    expect(decode(0x24, [0x80, 0x00, 0x40, 0x00])).toEqual([1, 2]);
    expect(decode(0x34, [0x80, 0x00, 0x80, 0x00])).toEqual([1, 0]);
    expect(decode(0x01, [0x83, 0x07, 0x65, 0x00])).toEqual([1, 3, 0, 0x076500]);
  });
});
