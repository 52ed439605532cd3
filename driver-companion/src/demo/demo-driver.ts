import type { SimulatedVehicle } from '@fleetline/hardware';

/**
 * What the demo's drivers do beyond following their route, so the console
 * shows a day's events and not just endless laps: now and then a driver
 * parks with the engine off (a trip ends, another starts later), waits with
 * the engine running (idling), or brakes or accelerates hard. Each driver
 * has its own seeded randomness, so a fleet replays the same day per seed.
 */
export type DriverActivity = 'driving' | 'parked' | 'idling';

interface DriverState {
  activity: DriverActivity;
  /** Seconds until the next decision. */
  remainingS: number;
  /** A harsh manoeuvre in progress: m/s² (negative: braking) for the seconds left. */
  harsh: { accelMs2: number; remainingS: number } | null;
}

export interface DemoDriverOptions {
  seed: number;
  /** Minutes of driving between stops. */
  driveMinutes?: [number, number];
  parkMinutes?: [number, number];
  idleMinutes?: [number, number];
  /** Share of stops where the engine keeps running. */
  idleShare?: number;
  /** Harsh manoeuvres per driving hour. */
  harshPerHour?: number;
  /** false: just follow the route, never stop, idle or brake hard. */
  eventful?: boolean;
}

export class DemoDriver {
  readonly vehicle: SimulatedVehicle;
  readonly #o: Required<DemoDriverOptions>;
  #random: () => number;
  #state: DriverState;

  constructor(vehicle: SimulatedVehicle, options: DemoDriverOptions) {
    this.vehicle = vehicle;
    this.#o = {
      driveMinutes: [4, 12],
      parkMinutes: [1, 4],
      idleMinutes: [2.5, 4],
      idleShare: 0.3,
      harshPerHour: 4,
      eventful: true,
      ...options,
    };
    this.#random = mulberry32(options.seed);
    this.#state = {
      activity: 'driving',
      remainingS: this.#minutes(this.#o.driveMinutes),
      harsh: null,
    };
  }

  get activity(): DriverActivity {
    return this.#state.activity;
  }

  /** Advances the vehicle by dtS seconds, doing what the driver decided. */
  step(dtS: number): void {
    const s = this.#state;
    const vehicle = this.vehicle;
    if (!this.#o.eventful) {
      vehicle.step(dtS);
      return;
    }
    s.remainingS -= dtS;
    if (s.activity === 'driving') {
      const before = vehicle.state.speedKmh;
      vehicle.step(dtS);
      this.#maybeHarsh(before, dtS);
      // Stop only where the car stands still anyway (a light, a stop sign).
      if (s.remainingS <= 0 && vehicle.state.speedKmh < 0.5) {
        if (this.#random() < this.#o.idleShare) {
          s.activity = 'idling';
          s.remainingS = this.#minutes(this.#o.idleMinutes);
        } else {
          s.activity = 'parked';
          s.remainingS = this.#minutes(this.#o.parkMinutes);
          vehicle.setEngine(false);
        }
      }
      return;
    }
    if (s.activity === 'parked') vehicle.step(dtS);
    // Idling: the car is held where it is, engine running, so it is not stepped.
    if (s.remainingS <= 0) {
      if (s.activity === 'parked') vehicle.setEngine(true);
      s.activity = 'driving';
      s.remainingS = this.#minutes(this.#o.driveMinutes);
    }
  }

  /** The manoeuvre overrides the driver model: from the speed before this step, at its own rate. */
  #maybeHarsh(before: number, dtS: number): void {
    const s = this.#state;
    const state = this.vehicle.state;
    if (s.harsh) {
      state.speedKmh = Math.max(0, before + s.harsh.accelMs2 * 3.6 * dtS);
      s.harsh.remainingS -= dtS;
      if (s.harsh.remainingS <= 0 || state.speedKmh === 0) s.harsh = null;
      return;
    }
    if (this.#random() >= (this.#o.harshPerHour / 3600) * dtS) return;
    if (state.speedKmh > 35) s.harsh = { accelMs2: -(5.5 + this.#random() * 2), remainingS: 2 };
    else if (state.speedKmh > 5 && state.speedKmh < 25)
      s.harsh = { accelMs2: 4 + this.#random(), remainingS: 2 };
  }

  #minutes([low, high]: [number, number]): number {
    return (low + this.#random() * (high - low)) * 60;
  }
}

/** A small seeded generator: the demo must replay the same way for a seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
