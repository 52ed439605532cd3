import type * as GeoJSON from 'geojson';
import type { TrailPoint } from '../stores/fleet-store';

/**
 * Positions further apart in time than this are not joined: the vehicle
 * went through a tunnel or its link dropped, and a straight line across the
 * gap would show a road it never drove.
 */
export const TRAIL_GAP_MS = 30_000;

/**
 * The gap that breaks a replayed track. The history endpoint thins a long
 * range to the first fix of each time bucket (`bucketMs` wide), so two kept
 * fixes of adjacent buckets are up to two buckets apart while the vehicle
 * reported all along; further apart, at least one whole bucket held no fix
 * at all. Unthinned (`bucketMs` 0), the live trail's rule applies.
 */
export function replayGapMs(bucketMs: number): number {
  return Math.max(TRAIL_GAP_MS, 2 * bucketMs);
}

/** A trail as drawn: one line per unbroken run of positions; null when nothing can be drawn. */
export function trailGeometry(
  trail: readonly TrailPoint[],
  gapMs = TRAIL_GAP_MS,
): GeoJSON.MultiLineString | null {
  const runs: GeoJSON.Position[][] = [];
  let run: GeoJSON.Position[] = [];
  let previous: TrailPoint | undefined;
  for (const point of trail) {
    if (previous && point.t - previous.t > gapMs) {
      if (run.length > 1) runs.push(run);
      run = [];
    }
    run.push([point.lon, point.lat]);
    previous = point;
  }
  if (run.length > 1) runs.push(run);
  return runs.length > 0 ? { type: 'MultiLineString', coordinates: runs } : null;
}
