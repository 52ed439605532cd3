import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { validateBatch } from './sample-validator.js';

const now = Date.UTC(2026, 10, 21, 12);
const limits = { maxSamples: 3, maxClockSkewMs: 60_000 };
const fix = (seq: number, extra: Record<string, unknown> = {}) => ({
  kind: 'position',
  seq,
  t: now,
  lat: 1,
  lon: 2,
  fixQuality: 'gps',
  ...extra,
});

describe('validateBatch', () => {
  it('accepts valid samples and applies defaults', () => {
    const result = validateBatch(
      { samples: [fix(1), { kind: 'reading', seq: 2, t: now, pid: 12, value: 800, unit: 'rpm' }] },
      limits,
      now,
    );
    expect(result.rejected).toEqual([]);
    expect(result.accepted.map((a) => a.index)).toEqual([0, 1]);
    expect(result.accepted[1]!.sample).toMatchObject({ part: 0 });
    expect(result.highestSeq).toBe(2);
  });

  it('refuses a malformed envelope or too many samples as a whole', () => {
    for (const raw of [null, 'x', [], { samples: {} }, { nope: [] }]) {
      expect(() => validateBatch(raw, limits, now)).toThrow(AppError);
    }
    try {
      validateBatch({ samples: [fix(1), fix(2), fix(3), fix(4)] }, limits, now);
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).slug).toBe('batch-too-large');
    }
  });

  it('names the sample, its sequence and the field for each refusal', () => {
    const result = validateBatch(
      {
        samples: [fix(1, { hdop: -1 }), fix(2, { t: now + 61_000 }), fix(3, { extra: 'ignored' })],
      },
      limits,
      now,
    );
    expect(result.rejected).toEqual([
      { index: 0, seq: 1, field: 'hdop', reason: expect.stringMatching(/>=0/) as string },
      {
        index: 1,
        seq: 2,
        field: 't',
        reason: 'is 61 s ahead of the server clock; at most 60 s is accepted',
      },
    ]);
    expect(result.accepted.map((a) => a.sample.seq)).toEqual([3]);
    expect(result.highestSeq).toBe(3);
  });

  it('refuses a fix without a fix, and a status saying nothing', () => {
    const result = validateBatch(
      { samples: [fix(1, { fixQuality: 'none' }), { kind: 'status', seq: 2, t: now }] },
      limits,
      now,
    );
    expect(result.rejected.map((r) => r.field)).toEqual(['fixQuality', '']);
  });

  it('refuses non-finite numbers and wrong types', () => {
    const result = validateBatch(
      { samples: [fix(1, { lat: Infinity }), fix(2, { seq: '2' }), fix(3, { speedKmh: '50' })] },
      limits,
      now,
    );
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
      [0, 'lat'],
      [1, 'seq'],
      [2, 'speedKmh'],
    ]);
    expect(result.rejected[1]!.seq).toBeNull();
  });

  it('refuses samples older than the retention of their kind, to the millisecond', () => {
    const day = 86_400_000;
    const retention = { telemetryMs: 30 * day, eventsMs: null };
    const result = validateBatch(
      {
        samples: [
          fix(1, { t: now - 30 * day }),
          fix(2, { t: now - 30 * day - 1 }),
          // Events are kept for good here, however old.
          { kind: 'driving', seq: 3, t: now - 3000 * day, event: 'trip_end' },
        ],
      },
      { ...limits, retention },
      now,
    );
    expect(result.accepted.map((a) => a.index)).toEqual([0, 2]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        seq: 2,
        field: 't',
        reason: 'is 30 days old; telemetry older than 30 days is not kept',
      },
    ]);
    // Without a retention, age alone refuses nothing.
    expect(
      validateBatch({ samples: [fix(4, { t: now - 3000 * day })] }, limits, now).rejected,
    ).toEqual([]);
  });
});
