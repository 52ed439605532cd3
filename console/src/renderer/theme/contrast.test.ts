import { describe, expect, it } from 'vitest';
import { COLORS, STATE_COLORS, TEXT_ON_SURFACES, contrastRatio } from './tokens';

describe('theme contrast', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBeCloseTo(1, 5);
    // The WCAG reference pair: #767676 on white is just above 4.5.
    expect(contrastRatio('#767676', '#ffffff')).toBeGreaterThan(4.5);
    expect(contrastRatio('#777777', '#ffffff')).toBeLessThan(4.5);
  });

  it.each(TEXT_ON_SURFACES.flatMap(([text, surfaces]) => surfaces.map((s) => [text, s] as const)))(
    'keeps %s readable on %s (WCAG AA, 4.5:1)',
    (text, surface) => {
      expect(contrastRatio(COLORS[text], COLORS[surface])).toBeGreaterThanOrEqual(4.5);
    },
  );

  it('keeps vehicle state colours distinguishable from the map (3:1 for graphics)', () => {
    for (const color of Object.values(STATE_COLORS)) {
      expect(contrastRatio(color, COLORS.background)).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(color, COLORS.mapRoadMajor)).toBeGreaterThanOrEqual(1.5);
    }
  });
});
