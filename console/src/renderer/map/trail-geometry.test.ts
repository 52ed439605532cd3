import { describe, expect, it } from 'vitest';
import { trailGeometry } from './trail-geometry';

const at = (t: number, lon: number) => ({ t, lon, lat: 52.5 });

describe('trailGeometry', () => {
  it('draws an unbroken run of positions as one line', () => {
    expect(trailGeometry([at(0, 13.1), at(1000, 13.2), at(2000, 13.3)])).toEqual({
      type: 'MultiLineString',
      coordinates: [
        [
          [13.1, 52.5],
          [13.2, 52.5],
          [13.3, 52.5],
        ],
      ],
    });
  });

  it('breaks the line where positions are missing, never joining across the gap', () => {
    const trail = [at(0, 13.1), at(1000, 13.2), at(61_000, 13.8), at(62_000, 13.9)];
    expect(trailGeometry(trail)?.coordinates).toEqual([
      [
        [13.1, 52.5],
        [13.2, 52.5],
      ],
      [
        [13.8, 52.5],
        [13.9, 52.5],
      ],
    ]);
  });

  it('leaves out a lone position between gaps, and draws nothing without two in a row', () => {
    const trail = [at(0, 13.1), at(1000, 13.2), at(60_000, 13.5), at(120_000, 13.8)];
    expect(trailGeometry(trail)?.coordinates).toHaveLength(1);
    expect(trailGeometry([at(0, 13.1)])).toBeNull();
    expect(trailGeometry([at(0, 13.1), at(60_000, 13.2)])).toBeNull();
    expect(trailGeometry([])).toBeNull();
  });
});
