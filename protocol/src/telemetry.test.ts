import { describe, expect, it } from 'vitest';
import { TelemetrySampleSchema } from './telemetry.js';

const t = Date.UTC(2026, 0, 1);

describe('TelemetrySampleSchema', () => {
  it('accepts each kind and fills defaults', () => {
    expect(
      TelemetrySampleSchema.parse({
        kind: 'reading',
        seq: 1,
        t,
        pid: 0x0c,
        value: 900,
        unit: 'rpm',
      }),
    ).toMatchObject({ part: 0 });
    expect(
      TelemetrySampleSchema.parse({
        kind: 'dtc',
        seq: 2,
        t,
        dtcKind: 'pending',
        codes: ['U0100', 'B1A00'],
      }).kind,
    ).toBe('dtc');
    expect(TelemetrySampleSchema.parse({ kind: 'status', seq: 3, t, ignition: false }).kind).toBe(
      'status',
    );
  });

  it('refuses out-of-range values and impossible codes', () => {
    const bad = [
      { kind: 'position', seq: 1, t, lat: 0, lon: 181, fixQuality: 'gps' },
      { kind: 'position', seq: 1, t: 100, lat: 0, lon: 0, fixQuality: 'gps' },
      { kind: 'position', seq: 0, t, lat: 0, lon: 0, fixQuality: 'gps' },
      { kind: 'reading', seq: 1, t, pid: 256, value: 1, unit: 'x' },
      { kind: 'reading', seq: 1, t, pid: 1, value: 1, unit: '' },
      // PostgreSQL cannot store NUL: refused here, not by the database later.
      { kind: 'reading', seq: 1, t, pid: 1, value: 1, unit: 'x\u0000' },
      { kind: 'reading', seq: 1, t, pid: 1, value: 1, unit: 'km\n/h' },
      { kind: 'dtc', seq: 1, t, dtcKind: 'stored', codes: ['P4000'] },
      { kind: 'dtc', seq: 1, t, dtcKind: 'stored', codes: ['p0301'] },
    ];
    for (const sample of bad)
      expect(TelemetrySampleSchema.safeParse(sample).success, JSON.stringify(sample)).toBe(false);
  });
});
