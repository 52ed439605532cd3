import { describe, expect, it } from 'vitest';
import { BboxSchema, bboxContains } from './geo.js';

describe('bboxContains', () => {
  it('contains points inside, including the edges', () => {
    const box = { west: 10, south: 50, east: 20, north: 60 };
    expect(bboxContains(box, 55, 15)).toBe(true);
    expect(bboxContains(box, 50, 10)).toBe(true);
    expect(bboxContains(box, 49.9, 15)).toBe(false);
    expect(bboxContains(box, 55, 20.1)).toBe(false);
  });

  it('handles a box across the antimeridian', () => {
    const box = { west: 170, south: -20, east: -170, north: 0 };
    expect(bboxContains(box, -10, 175)).toBe(true);
    expect(bboxContains(box, -10, -175)).toBe(true);
    expect(bboxContains(box, -10, 0)).toBe(false);
  });

  it('rejects an upside-down box', () => {
    expect(BboxSchema.safeParse({ west: 0, south: 10, east: 1, north: 5 }).success).toBe(false);
  });
});
