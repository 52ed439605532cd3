import { DEMO_CITIES, SimulatedVehicle, generateCityRoute } from '@fleetline/hardware';
import { describe, expect, it } from 'vitest';
import { CompanionConfigSchema } from '../config/schema.js';
import { DrivingDeriver } from '../derive/driving-deriver.js';
import type { DrivingDraft } from '../derive/driving-deriver.js';
import { DemoDriver } from './demo-driver.js';

const center = DEMO_CITIES.berlin ?? { lat: 52.52, lon: 13.405 };

/** Three simulated hours of one demo driver, watched by the real derivations at 1 Hz. */
function day(seed: number, eventful: boolean): DrivingDraft[] {
  const vehicle = new SimulatedVehicle({ route: generateCityRoute({ center, seed }), seed });
  const driver = new DemoDriver(vehicle, { seed, eventful });
  const events: DrivingDraft[] = [];
  const deriver = new DrivingDeriver(CompanionConfigSchema.shape.derive.parse(undefined), (e) =>
    events.push(e),
  );
  let t = Date.UTC(2026, 10, 21, 6);
  for (let second = 0; second < 3 * 3600; second += 1) {
    for (let i = 0; i < 5; i += 1) driver.step(0.2);
    t += 1000;
    deriver.ignition(vehicle.state.ignition, t);
    deriver.rpm(vehicle.state.rpm, t);
    deriver.speed({ t, speedKmh: vehicle.state.speedKmh, source: 'gps' });
  }
  return events;
}

describe('DemoDriver', () => {
  it('gives the demo trips that end and start, idling and the odd harsh manoeuvre', () => {
    const events = day(3, true);
    const count = (event: string) => events.filter((e) => e.event === event).length;
    expect(count('trip_start')).toBeGreaterThan(3);
    expect(count('trip_end')).toBeGreaterThanOrEqual(count('trip_start') - 1);
    expect(count('idle_start')).toBeGreaterThan(0);
    expect(count('harsh_braking') + count('harsh_acceleration')).toBeGreaterThan(0);
  });

  it('only drives the route when not eventful: one trip, no idling, no harsh events', () => {
    const events = day(3, false);
    expect(events.map((e) => e.event)).toEqual(['trip_start']);
  });
});
