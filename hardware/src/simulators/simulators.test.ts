import { describe, expect, it } from 'vitest';
import { FixAssembler } from '../nmea/assembler.js';
import { parseNmeaSentence } from '../nmea/parse.js';
import { createDemoFleet } from './fleet.js';
import { GpsSimulator } from './gps-simulator.js';
import { DEMO_CITIES, distanceM, generateCityRoute } from './route.js';
import { SimulatedVehicle } from './vehicle.js';

const berlin = DEMO_CITIES.berlin ?? { lat: 52.52, lon: 13.405 };

describe('city routes', () => {
  it('are closed loops of right-angle street segments near the city centre', () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const route = generateCityRoute({ center: berlin, seed });
      const first = route.points[0];
      const last = route.points.at(-1);
      expect(first && last && distanceM(first, last)).toBe(0);
      for (const p of route.points) expect(distanceM(p, berlin)).toBeLessThan(6000);
      for (let i = 1; i < route.points.length; i += 1) {
        const a = route.points[i - 1];
        const b = route.points[i];
        if (!a || !b) continue;
        // Each segment runs north-south or east-west.
        expect(Math.min(Math.abs(a.lat - b.lat), Math.abs(a.lon - b.lon))).toBeLessThan(1e-9);
      }
    }
  });

  it('are reproducible per seed and differ between seeds', () => {
    const a = generateCityRoute({ center: berlin, seed: 5 });
    const b = generateCityRoute({ center: berlin, seed: 5 });
    const c = generateCityRoute({ center: berlin, seed: 6 });
    expect(a.points).toEqual(b.points);
    expect(a.points).not.toEqual(c.points);
  });
});

describe('the simulated vehicle', () => {
  it('drives plausibly: bounded speed and acceleration, RPM with speed, warming engine, draining fuel', () => {
    const vehicle = new SimulatedVehicle({
      route: generateCityRoute({ center: berlin, seed: 2 }),
      seed: 2,
      fuelLevelPct: 50,
    });
    const fuelStart = vehicle.state.fuelLevelPct;
    let previous = 0;
    let maxSpeed = 0;
    let moved = 0;
    for (let t = 0; t < 900; t += 1) {
      vehicle.step(1);
      const s = vehicle.state;
      expect(Math.abs(s.speedKmh - previous)).toBeLessThanOrEqual(3.5 * 3.6 + 1e-9);
      previous = s.speedKmh;
      maxSpeed = Math.max(maxSpeed, s.speedKmh);
      if (s.speedKmh > 20) expect(s.rpm).toBeGreaterThan(1000);
      if (s.speedKmh < 0.5) expect(s.rpm).toBeLessThan(1200);
      expect(s.batteryV).toBeGreaterThan(13);
      expect(s.batteryV).toBeLessThan(15);
      moved = s.distanceM;
    }
    expect(maxSpeed).toBeGreaterThan(25);
    expect(maxSpeed).toBeLessThanOrEqual(75);
    expect(moved).toBeGreaterThan(2000);
    expect(vehicle.state.coolantC).toBeGreaterThan(85);
    expect(vehicle.state.fuelLevelPct).toBeLessThan(fuelStart);
    expect(vehicle.state.fuelLevelPct).toBeGreaterThan(fuelStart - 5);
  });

  it('rests when the engine is off: no RPM, battery back to about 12.5 V', () => {
    const vehicle = new SimulatedVehicle({
      route: generateCityRoute({ center: berlin, seed: 2 }),
      engineRunning: false,
    });
    for (let t = 0; t < 600; t += 1) vehicle.step(1);
    expect(vehicle.state.rpm).toBe(0);
    expect(vehicle.state.speedKmh).toBe(0);
    expect(vehicle.state.batteryV).toBeCloseTo(12.5, 1);
  });

  it('builds a demo fleet of distinct vehicles', () => {
    const fleet = createDemoFleet({ size: 30, city: 'paris' });
    expect(fleet).toHaveLength(30);
    const starts = new Set(
      fleet.map((v) => `${v.state.position.lat.toFixed(5)},${v.state.position.lon.toFixed(5)}`),
    );
    expect(starts.size).toBe(30);
  });

  it('refuses a city it does not know rather than driving somewhere else', () => {
    expect(() => createDemoFleet({ size: 1, city: 'atlantis' })).toThrow(
      'unknown demo city "atlantis": one of berlin, paris, madrid, warsaw, toronto',
    );
  });
});

describe('the GPS simulator', () => {
  it('emits valid NMEA at the configured rate that assembles into one fix per epoch', () => {
    for (const rateHz of [1, 5, 10]) {
      const vehicle = new SimulatedVehicle({
        route: generateCityRoute({ center: berlin, seed: 4 }),
        seed: 4,
      });
      const sim = new GpsSimulator({
        vehicle,
        rateHz,
        sentences: ['GGA', 'GSA', 'GSV', 'RMC', 'VTG', 'GLL', 'ZDA', 'GST'],
      });
      const assembler = new FixAssembler();
      const times: number[] = [];
      for (let i = 0; i < 3 * rateHz + 1; i += 1) {
        vehicle.step(1 / rateHz);
        for (const line of sim.epochSentences()) {
          for (const fix of assembler.push(parseNmeaSentence(line)))
            if (fix.time !== null) times.push(fix.time);
        }
      }
      const steps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
      expect(new Set(steps)).toEqual(new Set([1000 / rateHz]));
    }
  });

  it('keeps its simulated time in step with the wall clock in real time, through timer lateness and a stall', async () => {
    const vehicle = new SimulatedVehicle({
      route: generateCityRoute({ center: berlin, seed: 4 }),
      seed: 4,
    });
    const startTime = new Date(Date.UTC(2026, 0, 1));
    const sim = new GpsSimulator({ vehicle, rateHz: 10, startTime });
    const started = performance.now();
    sim.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      // Block the event loop the way a busy host would; the epochs owed must still be sent.
      const until = performance.now() + 400;
      while (performance.now() < until) {
        /* busy */
      }
      await new Promise((resolve) => setTimeout(resolve, 600));
      // Let the tick that follows the wait run, then compare the two clocks.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const wallMs = performance.now() - started;
      // sim.time is the next epoch's; the last one sent is a period (100 ms) earlier.
      const lastSentMs = sim.time.getTime() - 100 - startTime.getTime();
      // The last epoch sent is at most a period old; a schedule that drifted
      // would be behind by the stall (400 ms) and more.
      expect(lastSentMs).toBeGreaterThan(wallMs - 250);
      expect(lastSentMs).toBeLessThanOrEqual(wallMs);
    } finally {
      sim.stop();
    }
  });

  it('rejects a rate outside 1..10 Hz', () => {
    const vehicle = new SimulatedVehicle({ route: generateCityRoute({ center: berlin, seed: 4 }) });
    expect(() => new GpsSimulator({ vehicle, rateHz: 20 })).toThrow(/between 1 and 10/);
  });

  it('adds noise around the true position, metres not kilometres', () => {
    const vehicle = new SimulatedVehicle({
      route: generateCityRoute({ center: berlin, seed: 4 }),
      engineRunning: false,
    });
    const sim = new GpsSimulator({ vehicle, noiseM: 3 });
    const assembler = new FixAssembler();
    const offsets: number[] = [];
    for (let i = 0; i < 120; i += 1) {
      for (const line of sim.epochSentences()) {
        for (const fix of assembler.push(parseNmeaSentence(line))) {
          if (fix.lat !== null && fix.lon !== null)
            offsets.push(distanceM({ lat: fix.lat, lon: fix.lon }, vehicle.state.position));
        }
      }
    }
    expect(Math.max(...offsets)).toBeLessThan(25);
    expect(Math.max(...offsets)).toBeGreaterThan(0.5);
  });
});
