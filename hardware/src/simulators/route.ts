import { SeededRandom } from './random.js';

export interface LatLon {
  lat: number;
  lon: number;
}

export interface RoutePoint extends LatLon {
  /** Speed limit on the segment that starts here, km/h. */
  limitKmh: number;
  /** The vehicle stops here (traffic light, stop sign, delivery). */
  stopS?: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const toRad = (deg: number): number => (deg * Math.PI) / 180;
const toDeg = (rad: number): number => (rad * 180) / Math.PI;

export function distanceM(a: LatLon, b: LatLon): number {
  const dLat = toRad(b.lat - a.lat);
  const dLon = toRad(b.lon - a.lon);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function bearingDeg(a: LatLon, b: LatLon): number {
  const y = Math.sin(toRad(b.lon - a.lon)) * Math.cos(toRad(b.lat));
  const x =
    Math.cos(toRad(a.lat)) * Math.sin(toRad(b.lat)) -
    Math.sin(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.cos(toRad(b.lon - a.lon));
  return (toDeg(Math.atan2(y, x)) + 360) % 360;
}

/** Moves a point by metres north and east (flat-earth: fine at city scale). */
export function offsetM(p: LatLon, northM: number, eastM: number): LatLon {
  return {
    lat: p.lat + toDeg(northM / EARTH_RADIUS_M),
    lon: p.lon + toDeg(eastM / (EARTH_RADIUS_M * Math.cos(toRad(p.lat)))),
  };
}

/** A polyline with cumulative distances, for position-by-distance lookups. */
export class Route {
  readonly points: readonly RoutePoint[];
  readonly #cumulative: number[];
  readonly lengthM: number;
  /** Loop back to the start at the end (demo fleets drive forever). */
  readonly loop: boolean;

  constructor(points: readonly RoutePoint[], options: { loop?: boolean } = {}) {
    if (points.length < 2) throw new Error('a route needs at least two points');
    this.loop = options.loop ?? true;
    const closed = this.loop ? [...points, points[0] as RoutePoint] : [...points];
    this.points = closed;
    this.#cumulative = [0];
    for (let i = 1; i < closed.length; i += 1) {
      const prev = closed[i - 1] as RoutePoint;
      const cur = closed[i] as RoutePoint;
      this.#cumulative.push((this.#cumulative[i - 1] ?? 0) + distanceM(prev, cur));
    }
    this.lengthM = this.#cumulative.at(-1) ?? 0;
  }

  /** Where the vehicle is after driving `distance` metres along the route. */
  at(distance: number): { position: LatLon; headingDeg: number; segment: number; toNextM: number } {
    const d = this.loop
      ? ((distance % this.lengthM) + this.lengthM) % this.lengthM
      : Math.min(distance, this.lengthM);
    let segment = 0;
    while (segment < this.points.length - 2 && (this.#cumulative[segment + 1] ?? 0) <= d)
      segment += 1;
    const a = this.points[segment] as RoutePoint;
    const b = this.points[segment + 1] as RoutePoint;
    const start = this.#cumulative[segment] ?? 0;
    const length = (this.#cumulative[segment + 1] ?? 0) - start;
    const f = length > 0 ? (d - start) / length : 0;
    return {
      position: { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f },
      headingDeg: bearingDeg(a, b),
      segment,
      toNextM: length - (d - start),
    };
  }

  point(index: number): RoutePoint {
    return this.points[Math.min(index, this.points.length - 1)] as RoutePoint;
  }
}

export interface CityRouteOptions {
  center: LatLon;
  seed: number;
  /** Intersections to visit. */
  turns?: number;
  blockM?: number;
}

/** City centres for demo fleets: plausible street grids around real places. */
export const DEMO_CITIES: Readonly<Record<string, LatLon>> = {
  berlin: { lat: 52.52, lon: 13.405 },
  paris: { lat: 48.8566, lon: 2.3522 },
  madrid: { lat: 40.4168, lon: -3.7038 },
  warsaw: { lat: 52.2297, lon: 21.0122 },
  toronto: { lat: 43.6532, lon: -79.3832 },
};

/**
 * A drive on a street grid: straight runs of a few blocks, right-angle turns,
 * never straight back, with stops at some intersections and faster arterials.
 * Closed into a loop so a demo vehicle can drive it forever.
 */
export function generateCityRoute(options: CityRouteOptions): Route {
  const random = new SeededRandom(options.seed);
  const block = options.blockM ?? 180;
  const turns = options.turns ?? 14;
  let north = 0;
  let east = 0;
  const points: RoutePoint[] = [];
  let heading = random.int(0, 3);
  const directions: [number, number][] = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ];
  const start = offsetM(options.center, random.between(-600, 600), random.between(-600, 600));
  points.push({ ...start, limitKmh: 50 });
  for (let i = 0; i < turns; i += 1) {
    const blocks = random.int(1, 4);
    const arterial = random.next() < 0.25;
    const [dn, de] = directions[heading] ?? [1, 0];
    // Drift back toward the start so the loop closes on plausible streets.
    north += dn * blocks * block;
    east += de * blocks * block;
    const p = offsetM(start, north, east);
    const last = points.at(-1);
    if (last) last.limitKmh = arterial ? 70 : random.pick([30, 50, 50]);
    points.push({
      ...p,
      limitKmh: 50,
      ...(random.next() < 0.35 ? { stopS: random.between(5, 30) } : {}),
    });
    const toStart = Math.atan2(-east, -north);
    const preferred = ((Math.round(toStart / (Math.PI / 2)) % 4) + 4) % 4;
    heading =
      random.next() < 0.5 && preferred !== (heading + 2) % 4
        ? preferred
        : (heading + (random.next() < 0.5 ? 1 : 3)) % 4;
  }
  // Return along the grid: first north/south, then east/west.
  const back1 = offsetM(start, 0, east);
  points.push({ ...back1, limitKmh: 50, stopS: 10 });
  return new Route(points, { loop: true });
}
