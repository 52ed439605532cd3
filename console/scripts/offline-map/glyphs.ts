import type { Font, PathCommand } from 'opentype.js';

/**
 * Signed-distance-field glyphs in the PBF format maplibre-gl and mapbox-gl
 * read (glyphs.proto of mapbox/node-fontnik), computed from a font's outlines
 * without native code: the exact distance from each pixel to the outline.
 * The metrics follow fontnik's: 24 px glyphs, a 3 px border, an SDF radius
 * of 8 px with the edge at 192.
 */
export const GLYPH_SIZE = 24;
const BORDER = 3;
const RADIUS = 8;
const CUTOFF = 0.25;
/** maplibre places glyph tops relative to a baseline 26 px below the em box's origin. */
const BASELINE = 26;

type Segment = [x0: number, y0: number, x1: number, y1: number];

export interface SdfGlyph {
  id: number;
  width: number;
  height: number;
  left: number;
  top: number;
  advance: number;
  bitmap: Uint8Array | null;
}

/** Straight segments approximating a glyph outline (curves split finely enough for 24 px). */
export function outlineSegments(commands: readonly PathCommand[]): Segment[] {
  const segments: Segment[] = [];
  let x = 0;
  let y = 0;
  let startX = 0;
  let startY = 0;
  const line = (nx: number, ny: number) => {
    if (nx !== x || ny !== y) segments.push([x, y, nx, ny]);
    x = nx;
    y = ny;
  };
  for (const c of commands) {
    if (c.type === 'M') {
      x = startX = c.x ?? 0;
      y = startY = c.y ?? 0;
    } else if (c.type === 'L') line(c.x ?? 0, c.y ?? 0);
    else if (c.type === 'Q') {
      const [x0, y0] = [x, y];
      for (let i = 1; i <= 8; i++) {
        const t = i / 8;
        const u = 1 - t;
        line(
          u * u * x0 + 2 * u * t * (c.x1 ?? 0) + t * t * (c.x ?? 0),
          u * u * y0 + 2 * u * t * (c.y1 ?? 0) + t * t * (c.y ?? 0),
        );
      }
    } else if (c.type === 'C') {
      const [x0, y0] = [x, y];
      for (let i = 1; i <= 12; i++) {
        const t = i / 12;
        const u = 1 - t;
        line(
          u * u * u * x0 +
            3 * u * u * t * (c.x1 ?? 0) +
            3 * u * t * t * (c.x2 ?? 0) +
            t * t * t * (c.x ?? 0),
          u * u * u * y0 +
            3 * u * u * t * (c.y1 ?? 0) +
            3 * u * t * t * (c.y2 ?? 0) +
            t * t * t * (c.y ?? 0),
        );
      }
    } else if (c.type === 'Z') line(startX, startY);
  }
  return segments;
}

function distanceToSegment(px: number, py: number, [x0, y0, x1, y1]: Segment): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len));
  const ex = x0 + t * dx - px;
  const ey = y0 + t * dy - py;
  return Math.sqrt(ex * ex + ey * ey);
}

/** Non-zero winding: TrueType and CFF outlines both fill by it. */
function inside(px: number, py: number, segments: readonly Segment[]): boolean {
  let winding = 0;
  for (const [x0, y0, x1, y1] of segments) {
    if (y0 <= py) {
      if (y1 > py && (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0) > 0) winding++;
    } else if (y1 <= py && (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0) < 0) winding--;
  }
  return winding !== 0;
}

export function renderGlyph(font: Font, codePoint: number): SdfGlyph | null {
  const char = String.fromCodePoint(codePoint);
  if (!font.hasChar(char)) return null;
  const glyph = font.charToGlyph(char);
  const advance = Math.round(((glyph.advanceWidth ?? 0) * GLYPH_SIZE) / font.unitsPerEm);
  // Baseline at y = 0, y growing downwards (canvas convention).
  const segments = outlineSegments(glyph.getPath(0, 0, GLYPH_SIZE).commands);
  if (segments.length === 0)
    return { id: codePoint, width: 0, height: 0, left: 0, top: -BASELINE, advance, bitmap: null };
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  for (const [x0, y0, x1, y1] of segments) {
    xMin = Math.min(xMin, x0, x1);
    xMax = Math.max(xMax, x0, x1);
    yMin = Math.min(yMin, y0, y1);
    yMax = Math.max(yMax, y0, y1);
  }
  const left = Math.floor(xMin);
  const topEdge = Math.floor(yMin);
  const width = Math.max(1, Math.ceil(xMax) - left);
  const height = Math.max(1, Math.ceil(yMax) - topEdge);
  const w = width + 2 * BORDER;
  const h = height + 2 * BORDER;
  const bitmap = new Uint8Array(w * h);
  for (let row = 0; row < h; row++) {
    const py = topEdge - BORDER + row + 0.5;
    for (let col = 0; col < w; col++) {
      const px = left - BORDER + col + 0.5;
      let d = Infinity;
      for (const s of segments) {
        const sd = distanceToSegment(px, py, s);
        if (sd < d) d = sd;
      }
      const signed = inside(px, py, segments) ? -d : d;
      bitmap[row * w + col] = Math.max(
        0,
        Math.min(255, Math.round(255 - 255 * (signed / RADIUS + CUTOFF))),
      );
    }
  }
  return { id: codePoint, width, height, left, top: -topEdge - BASELINE, advance, bitmap };
}

/** Minimal protobuf writer for glyphs.proto. */
class ProtoWriter {
  readonly bytes: number[] = [];
  varint(value: number): void {
    let v = value >>> 0;
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.bytes.push(v);
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  uint(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }
  sint(field: number, value: number): void {
    this.tag(field, 0);
    this.varint((value << 1) ^ (value >> 31));
  }
  bytesField(field: number, data: ArrayLike<number>): void {
    this.tag(field, 2);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i] as number);
  }
  string(field: number, text: string): void {
    this.bytesField(field, new TextEncoder().encode(text));
  }
}

/** One glyphs PBF: the font stack's glyphs in [start, start + 255]. */
export function encodeRange(
  fontstack: string,
  start: number,
  glyphs: readonly SdfGlyph[],
): Uint8Array {
  const stack = new ProtoWriter();
  stack.string(1, fontstack);
  stack.string(2, `${start}-${start + 255}`);
  for (const g of glyphs) {
    const glyph = new ProtoWriter();
    glyph.uint(1, g.id);
    if (g.bitmap) glyph.bytesField(2, g.bitmap);
    glyph.uint(3, g.width);
    glyph.uint(4, g.height);
    glyph.sint(5, g.left);
    glyph.sint(6, g.top);
    glyph.uint(7, g.advance);
    stack.bytesField(3, glyph.bytes);
  }
  const root = new ProtoWriter();
  root.bytesField(1, stack.bytes);
  return Uint8Array.from(root.bytes);
}
