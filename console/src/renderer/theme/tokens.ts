/**
 * The console's colours, in one place: the stylesheet reads them as CSS
 * variables and the map layers use them directly. A dark palette for
 * control rooms that are kept dim; theme/contrast.test.ts checks that every
 * text colour stays readable (WCAG AA) on the surfaces it is used on.
 */
export const COLORS = {
  background: '#0b1120',
  surface: '#111a2e',
  surfaceRaised: '#18233b',
  border: '#2a3856',
  text: '#e6edf7',
  textMuted: '#a3b1c6',
  accent: '#7cc4ff',
  focus: '#ffd166',
  danger: '#ff8a80',
  warning: '#ffcf5c',
  success: '#6ee7a8',
  mapLand: '#0d1626',
  mapRoad: '#2c3a55',
  mapRoadMajor: '#45577a',
  mapLabel: '#c9d4e5',
  mapLabelHalo: '#0b1120',
} as const;

/** Vehicle state colours, on the map and in lists. */
export const STATE_COLORS = {
  moving: '#4ade80',
  idle: '#fbbf24',
  offline: '#94a3b8',
  alarm: '#f87171',
} as const;

/** Text colours and the surfaces each is drawn on: the pairs the contrast test checks. */
export const TEXT_ON_SURFACES: readonly [
  text: keyof typeof COLORS,
  surfaces: (keyof typeof COLORS)[],
][] = [
  ['text', ['background', 'surface', 'surfaceRaised']],
  ['textMuted', ['background', 'surface', 'surfaceRaised']],
  ['accent', ['background', 'surface', 'surfaceRaised']],
  ['danger', ['background', 'surface', 'surfaceRaised']],
  ['warning', ['background', 'surface', 'surfaceRaised']],
  ['success', ['background', 'surface', 'surfaceRaised']],
  ['focus', ['background', 'surface']],
  ['mapLabel', ['mapLand', 'background']],
];

/** WCAG 2.x relative luminance of an sRGB colour (#rrggbb). */
export function relativeLuminance(hex: string): number {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = match.slice(1).map((h) => {
    const c = Number.parseInt(h, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [
    number,
    number,
  ];
  return (hi + 0.05) / (lo + 0.05);
}

/** The palette as CSS custom properties (--color-text, --state-moving, ...). */
export function cssVariables(): string {
  const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const lines = [
    ...Object.entries(COLORS).map(([k, v]) => `--color-${kebab(k)}: ${v};`),
    ...Object.entries(STATE_COLORS).map(([k, v]) => `--state-${k}: ${v};`),
  ];
  return `:root {\n  ${lines.join('\n  ')}\n}`;
}
