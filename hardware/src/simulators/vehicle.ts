import type { LatLon, Route } from './route.js';
import { SeededRandom } from './random.js';

/** What the simulated engine and body report; the ELM327 simulator reads from here. */
export interface VehicleState {
  ignition: boolean;
  engineRunning: boolean;
  speedKmh: number;
  rpm: number;
  coolantC: number;
  intakeAirC: number;
  ambientC: number;
  fuelLevelPct: number;
  batteryV: number;
  throttlePct: number;
  engineLoadPct: number;
  mafGps: number;
  intakeMapKpa: number;
  barometricKpa: number;
  oilC: number;
  fuelRateLph: number;
  runTimeS: number;
  /** Odometer since the simulation began, metres. */
  distanceM: number;
  distanceSinceClearKm: number;
  position: LatLon;
  headingDeg: number;
}

export interface SimulatedVehicleOptions {
  route: Route;
  seed?: number;
  /** Start with the engine running (true) or off. */
  engineRunning?: boolean;
  fuelLevelPct?: number;
  ambientC?: number;
}

const GEAR_RATIOS = [3.6, 2.1, 1.4, 1.0, 0.8, 0.65];
const FINAL_DRIVE = 3.9;
const WHEEL_CIRCUMFERENCE_M = 1.95;
const IDLE_RPM = 780;

/**
 * A car driving a route: speed follows the limits with bounded acceleration,
 * slows for turns and stops; RPM follows speed through a gearbox; coolant warms
 * to operating temperature; fuel drains with airflow; the battery charges
 * while the engine runs. Time advances only through step(), so tests and the
 * demo fleet are deterministic per seed.
 */
export class SimulatedVehicle {
  readonly route: Route;
  readonly #random: SeededRandom;
  readonly state: VehicleState;
  #stopRemainingS = 0;
  #lastStopSegment = -1;
  #cruiseJitter = 1;

  constructor(options: SimulatedVehicleOptions) {
    this.route = options.route;
    this.#random = new SeededRandom(options.seed ?? 1);
    const running = options.engineRunning ?? true;
    const start = this.route.at(0);
    const ambient = options.ambientC ?? 18;
    this.state = {
      ignition: running,
      engineRunning: running,
      speedKmh: 0,
      rpm: running ? IDLE_RPM : 0,
      coolantC: running ? 60 : ambient,
      intakeAirC: ambient + 5,
      ambientC: ambient,
      fuelLevelPct: options.fuelLevelPct ?? 72,
      batteryV: running ? 14.1 : 12.6,
      throttlePct: 0,
      engineLoadPct: running ? 20 : 0,
      mafGps: running ? 2.5 : 0,
      intakeMapKpa: running ? 32 : 101,
      barometricKpa: 101,
      oilC: running ? 55 : ambient,
      fuelRateLph: running ? 0.8 : 0,
      runTimeS: 0,
      distanceM: 0,
      distanceSinceClearKm: 1234,
      position: start.position,
      headingDeg: start.headingDeg,
    };
  }

  setEngine(running: boolean): void {
    this.state.engineRunning = running;
    this.state.ignition = running;
    if (running) {
      this.state.runTimeS = 0;
      // Cranking pulls the battery down before the alternator takes over.
      this.state.batteryV = 10.8;
    }
  }

  /** Advances the simulation by dtS seconds. */
  step(dtS: number): void {
    const s = this.state;
    if (dtS <= 0) return;
    if (!s.engineRunning) {
      s.speedKmh = Math.max(0, s.speedKmh - 15 * dtS);
      s.rpm = 0;
      s.throttlePct = 0;
      s.engineLoadPct = 0;
      s.mafGps = 0;
      s.fuelRateLph = 0;
      s.intakeMapKpa = s.barometricKpa;
      s.coolantC += (s.ambientC - s.coolantC) * Math.min(1, dtS / 1800);
      s.oilC += (s.ambientC - s.oilC) * Math.min(1, dtS / 2400);
      s.batteryV += (12.5 - s.batteryV) * Math.min(1, dtS / 60);
      this.#advancePosition(dtS);
      return;
    }
    const target = this.#targetSpeedKmh(dtS);
    const dv = target - s.speedKmh;
    // About 2.5 m/s² up and 3.5 m/s² down, as a normal driver in town.
    const maxUp = 2.5 * 3.6 * dtS;
    const maxDown = 3.5 * 3.6 * dtS;
    const change = Math.max(-maxDown, Math.min(maxUp, dv));
    s.speedKmh = Math.max(0, s.speedKmh + change);
    const accelerating = change > 0.05 * dtS;
    s.throttlePct = clamp(
      accelerating ? 18 + (change / maxUp) * 40 : s.speedKmh > 1 ? 12 : 0,
      0,
      100,
    );
    s.rpm = this.#rpmFor(s.speedKmh, accelerating) * (1 + this.#random.gaussian() * 0.005);
    s.engineLoadPct = clamp(15 + s.throttlePct * 0.8 + this.#random.gaussian(), 0, 100);
    s.intakeMapKpa = clamp(28 + s.engineLoadPct * 0.7, 20, s.barometricKpa);
    // Speed-density airflow: 1.6 L, one intake per two turns, 85 % VE, air 1.2 g/L.
    s.mafGps = Math.max(1.8, (s.rpm / 120) * 1.6 * 0.85 * 1.2 * (s.intakeMapKpa / s.barometricKpa));
    s.fuelRateLph = ((s.mafGps / 14.7) * 3600) / 745;
    s.fuelLevelPct = Math.max(0, s.fuelLevelPct - ((s.fuelRateLph * dtS) / 3600 / 50) * 100);
    s.coolantC += (90 - s.coolantC) * Math.min(1, dtS / 240);
    s.oilC += (100 - s.oilC) * Math.min(1, dtS / 480);
    s.intakeAirC +=
      (s.ambientC + 8 + (s.speedKmh < 10 ? 12 : 0) - s.intakeAirC) * Math.min(1, dtS / 60);
    s.batteryV += (14.1 + this.#random.gaussian() * 0.03 - s.batteryV) * Math.min(1, dtS / 5);
    s.runTimeS += dtS;
    this.#advancePosition(dtS);
  }

  #advancePosition(dtS: number): void {
    const s = this.state;
    const travelled = (s.speedKmh / 3.6) * dtS;
    s.distanceM += travelled;
    s.distanceSinceClearKm += travelled / 1000;
    const where = this.route.at(s.distanceM);
    s.position = where.position;
    if (s.speedKmh > 0.5) s.headingDeg = where.headingDeg;
  }

  #targetSpeedKmh(dtS: number): number {
    if (this.#stopRemainingS > 0) {
      this.#stopRemainingS -= dtS;
      return 0;
    }
    const where = this.route.at(this.state.distanceM);
    const here = this.route.point(where.segment);
    const next = this.route.point(where.segment + 1);
    if (this.#random.next() < dtS / 20) this.#cruiseJitter = this.#random.between(0.85, 1.05);
    let target = here.limitKmh * this.#cruiseJitter;
    // Brake in time for the corner or stop ahead: v² = 2·a·d, corners at 20 km/h.
    const stopAhead = next.stopS !== undefined && this.#lastStopSegment !== where.segment;
    const approach = stopAhead ? 0 : 20;
    const brakingLimit = Math.sqrt(
      approach ** 2 + 2 * 2.5 * 12.96 * Math.max(0, where.toNextM - 3),
    );
    target = Math.min(target, brakingLimit);
    if (stopAhead && next.stopS && where.toNextM < 4 && this.state.speedKmh < 3) {
      this.#lastStopSegment = where.segment;
      this.#stopRemainingS = next.stopS;
      return 0;
    }
    // Creep up to a stop line short of it; roll on once the stop is done.
    return Math.max(target, stopAhead ? (where.toNextM > 1 ? 5 : 0) : 10);
  }

  #rpmFor(speedKmh: number, accelerating: boolean): number {
    if (speedKmh < 1) return IDLE_RPM;
    const wheelRps = speedKmh / 3.6 / WHEEL_CIRCUMFERENCE_M;
    const shiftAt = accelerating ? 2600 : 2000;
    for (const ratio of GEAR_RATIOS) {
      const rpm = wheelRps * ratio * FINAL_DRIVE * 60;
      if (rpm <= shiftAt) return Math.max(IDLE_RPM + 200, rpm);
    }
    return wheelRps * (GEAR_RATIOS.at(-1) ?? 0.65) * FINAL_DRIVE * 60;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
