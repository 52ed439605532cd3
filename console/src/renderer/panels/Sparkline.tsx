import type { SeriesPoint } from '../stores/fleet-store';

/**
 * A small chart of a reading's recent past. SVG, scaled to the series' own
 * range (or the documented range when the values are flat).
 */
export function Sparkline({
  points,
  width = 120,
  height = 28,
  label,
  cursorT,
}: {
  points: readonly SeriesPoint[];
  width?: number;
  height?: number;
  label: string;
  /** A vertical marker at this time (the replay cursor). */
  cursorT?: number | null;
}) {
  if (points.length < 2)
    return (
      <svg
        className="sparkline empty"
        width={width}
        height={height}
        role="img"
        aria-label={`${label}: not enough data yet`}
      />
    );
  const t0 = (points[0] as SeriesPoint).t;
  const t1 = (points.at(-1) as SeriesPoint).t;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p.value);
    hi = Math.max(hi, p.value);
  }
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const x = (t: number) => ((t - t0) / (t1 - t0 || 1)) * (width - 2) + 1;
  const y = (v: number) => height - 2 - ((v - lo) / (hi - lo)) * (height - 4);
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join('');
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${points.length} values`}
    >
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.5" />
      {cursorT !== undefined && cursorT !== null && cursorT >= t0 && cursorT <= t1 && (
        <line x1={x(cursorT)} x2={x(cursorT)} y1={0} y2={height} className="sparkline-cursor" />
      )}
    </svg>
  );
}
