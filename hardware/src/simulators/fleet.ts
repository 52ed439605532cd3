import { generateCityRoute, DEMO_CITIES } from './route.js';
import type { LatLon } from './route.js';
import { SimulatedVehicle } from './vehicle.js';

export interface DemoFleetOptions {
  size: number;
  /** A key of DEMO_CITIES or a centre point. */
  city?: keyof typeof DEMO_CITIES | LatLon;
  seed?: number;
}

/** A few dozen vehicles on plausible city loops, each with its own seed. */
export function createDemoFleet(options: DemoFleetOptions): SimulatedVehicle[] {
  const center =
    typeof options.city === 'object' ? options.city : demoCity(options.city ?? 'berlin');
  const seed = options.seed ?? 1;
  return Array.from({ length: options.size }, (_, i) => {
    const route = generateCityRoute({ center, seed: seed * 1000 + i });
    return new SimulatedVehicle({
      route,
      seed: seed * 7919 + i,
      fuelLevelPct: 20 + ((i * 37) % 75),
    });
  });
}

/** Steps vehicles in real time; returns a function that stops the clock. */
export function driveInRealTime(vehicles: readonly SimulatedVehicle[], tickMs = 200): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const dtS = (now - last) / 1000;
    last = now;
    for (const vehicle of vehicles) vehicle.step(dtS);
  }, tickMs);
  return () => clearInterval(timer);
}

/** A demo city's centre; an unknown name is an error, not a silent Berlin. */
function demoCity(name: string): LatLon {
  const center = DEMO_CITIES[name];
  if (!center)
    throw new RangeError(
      `unknown demo city "${name}": one of ${Object.keys(DEMO_CITIES).join(', ')}`,
    );
  return center;
}
