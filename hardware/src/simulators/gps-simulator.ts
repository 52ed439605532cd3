import { SimulatorError } from '../errors.js';
import { formatNmeaSentence } from '../nmea/parse.js';
import type { Transport } from '../transports/transport.js';
import { PacedWriter } from './paced-writer.js';
import { SeededRandom } from './random.js';
import { offsetM } from './route.js';
import type { SimulatedVehicle } from './vehicle.js';

export interface GpsOutage {
  /** Seconds of simulated time after the start. */
  startS: number;
  durationS: number;
}

export interface GpsSimulatorOptions {
  vehicle: SimulatedVehicle;
  /** Epochs per second, 1 to 10. */
  rateHz?: number;
  /** UTC time of the first epoch (simulated clock; the receiver has no other). */
  startTime?: Date;
  seed?: number;
  /** Horizontal noise, metres (1 sigma). */
  noiseM?: number;
  /** Scheduled fix losses (tunnels, parking garages). */
  outages?: GpsOutage[];
  /** Random fix losses: mean seconds between them (0 = none). */
  randomOutageEveryS?: number;
  /** 'GP' for a GPS-only receiver, 'GN' for a multi-constellation one. */
  talker?: 'GP' | 'GN';
  /** Sentences per epoch, in order. */
  sentences?: readonly ('GGA' | 'GSA' | 'GSV' | 'RMC' | 'VTG' | 'GLL' | 'ZDA' | 'GST')[];
  bytesPerSecond?: number | null;
}

interface SkySatellite {
  prn: number;
  elevation: number;
  azimuth: number;
  snr: number;
}

/**
 * A virtual receiver on a simulated vehicle: NMEA at 1 to 10 Hz with
 * position noise, fix loss and reacquisition (which takes a few epochs, with
 * a 2D fix and poor DOP first, as real receivers do).
 */
export class GpsSimulator {
  readonly vehicle: SimulatedVehicle;
  readonly rateHz: number;
  readonly #random: SeededRandom;
  readonly #noiseM: number;
  readonly #outages: GpsOutage[];
  readonly #randomOutageEveryS: number;
  readonly #talker: 'GP' | 'GN';
  readonly #sentences: readonly string[];
  readonly #bytesPerSecond: number | null;
  #timeMs: number;
  readonly #startMs: number;
  #epochs = 0;
  #randomOutageUntilS = -1;
  #reacquireEpochs = 0;
  #hadFix = true;
  #sky: SkySatellite[];
  #transport: Transport | null = null;
  #writer: PacedWriter | null = null;
  #timer: NodeJS.Timeout | null = null;
  #noiseNorth = 0;
  #noiseEast = 0;

  constructor(options: GpsSimulatorOptions) {
    this.vehicle = options.vehicle;
    const rate = options.rateHz ?? 1;
    if (!(rate >= 1 && rate <= 10)) throw new SimulatorError('rateHz must be between 1 and 10');
    this.rateHz = rate;
    this.#random = new SeededRandom(options.seed ?? 7);
    this.#noiseM = options.noiseM ?? 2.5;
    this.#outages = options.outages ?? [];
    this.#randomOutageEveryS = options.randomOutageEveryS ?? 0;
    this.#talker = options.talker ?? 'GP';
    this.#sentences = options.sentences ?? ['GGA', 'GSA', 'GSV', 'RMC', 'VTG'];
    this.#bytesPerSecond = options.bytesPerSecond ?? null;
    this.#startMs = (options.startTime ?? new Date(Date.UTC(2025, 4, 12, 8, 30, 0))).getTime();
    this.#timeMs = this.#startMs;
    this.#sky = Array.from({ length: 11 }, (_, i) => ({
      prn: [2, 5, 7, 9, 13, 15, 18, 20, 24, 29, 30][i] ?? i + 1,
      elevation: this.#random.int(8, 85),
      azimuth: this.#random.int(0, 359),
      snr: this.#random.int(22, 46),
    }));
  }

  /** Simulated UTC time of the next epoch. */
  get time(): Date {
    return new Date(this.#timeMs);
  }

  async attach(transport: Transport): Promise<void> {
    if (this.#transport) throw new SimulatorError('the simulator is already attached');
    if (transport.state !== 'open') await transport.open();
    this.#transport = transport;
    this.#writer = new PacedWriter(transport, this.#bytesPerSecond);
    transport.onClose(() => this.stop());
  }

  /**
   * Emits epochs in real time at rateHz, stepping the vehicle unless
   * `stepVehicle` is false. Epochs follow a fixed schedule from the start, as
   * a receiver's do: timer lateness does not accumulate, so the simulated UTC
   * keeps pace with the wall clock (set startTime to now for real time). After a stall the missed epochs come in a
   * burst, like a serial buffer emptying; past a few seconds' worth they are
   * skipped, as that buffer would have overflowed.
   */
  start(options: { stepVehicle?: boolean } = {}): void {
    if (this.#timer) return;
    const periodMs = 1000 / this.rateHz;
    const startedAt = performance.now();
    const maxBurst = 3 * this.rateHz;
    let emitted = 0;
    const tick = (): void => {
      // Epoch n carries the time start + n periods and goes out at that moment, as a
      // receiver's does (give or take its transmission time), not a period later.
      const owed = Math.floor((performance.now() - startedAt) / periodMs) + 1;
      if (owed - emitted > maxBurst) {
        const skip = owed - emitted - maxBurst;
        if (options.stepVehicle !== false) this.vehicle.step((skip * periodMs) / 1000);
        this.#skipEpochs(skip);
        emitted += skip;
      }
      while (emitted < owed) {
        if (options.stepVehicle !== false) this.vehicle.step(periodMs / 1000);
        this.emitEpoch();
        emitted += 1;
      }
      const nextAt = startedAt + emitted * periodMs;
      this.#timer = setTimeout(tick, Math.max(0, nextAt - performance.now()));
    };
    this.#timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async detach(): Promise<void> {
    this.stop();
    this.#writer?.cancel();
    const transport = this.#transport;
    this.#transport = null;
    if (transport) await transport.close();
  }

  /** Builds the next epoch's sentences, writes them if attached, and advances the clock. */
  emitEpoch(): string[] {
    const lines = this.epochSentences();
    this.#writer?.write(Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'latin1'));
    return lines;
  }

  /** The sentences for the current epoch (advances the simulated clock by one period). */
  epochSentences(): string[] {
    const elapsedS = (this.#timeMs - this.#startMs) / 1000;
    const fix = this.#hasFix(elapsedS);
    if (fix && !this.#hadFix) this.#reacquireEpochs = 3 * this.rateHz;
    this.#hadFix = fix;
    const reacquiring = fix && this.#reacquireEpochs > 0;
    if (reacquiring) this.#reacquireEpochs -= 1;
    this.#driftSky();
    // Noise is a random walk, not white: real fixes wander, they do not jump.
    const k = 1 / (5 * this.rateHz);
    this.#noiseNorth += (this.#random.gaussian() * this.#noiseM - this.#noiseNorth) * k * 4;
    this.#noiseEast += (this.#random.gaussian() * this.#noiseM - this.#noiseEast) * k * 4;
    const scale = reacquiring ? 4 : 1;
    const s = this.vehicle.state;
    const position = offsetM(s.position, this.#noiseNorth * scale, this.#noiseEast * scale);
    const used = fix
      ? this.#sky.filter((sat) => sat.elevation > 12).slice(0, reacquiring ? 4 : 12)
      : [];
    const hdop = fix ? (reacquiring ? 3.8 : 0.8 + 6 / Math.max(used.length, 1)) : 99.99;
    const pdop = fix ? hdop * 1.6 : 99.99;
    const vdop = fix ? hdop * 1.3 : 99.99;
    const mode3d = fix && !reacquiring;
    const date = new Date(this.#timeMs);
    const time = `${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}.${String(date.getUTCMilliseconds()).padStart(3, '0').slice(0, 2)}`;
    const ddmmyy = `${pad2(date.getUTCDate())}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCFullYear() % 100)}`;
    const lat = formatLat(position.lat);
    const lon = formatLon(position.lon);
    const speedKnots = (s.speedKmh + (fix ? Math.abs(this.#random.gaussian()) * 0.3 : 0)) / 1.852;
    const track = s.headingDeg.toFixed(1);
    const altitude = (34 + this.#random.gaussian() * 1.5).toFixed(1);
    const t = this.#talker;
    const out: string[] = [];
    for (const type of this.#sentences) {
      switch (type) {
        case 'GGA':
          out.push(
            fix
              ? `${t}GGA,${time},${lat},${lon},1,${pad2(used.length)},${hdop.toFixed(2)},${mode3d ? altitude : ''},M,47.2,M,,`
              : `${t}GGA,${time},,,,,0,00,99.99,,,,,,`,
          );
          break;
        case 'GSA': {
          const prns = used.map((sat) => pad2(sat.prn));
          while (prns.length < 12) prns.push('');
          out.push(
            `${t}GSA,A,${fix ? (mode3d ? 3 : 2) : 1},${prns.join(',')},${pdop.toFixed(2)},${hdop.toFixed(2)},${vdop.toFixed(2)}`,
          );
          break;
        }
        case 'GSV': {
          const visible = this.#sky.filter((sat) => sat.elevation > 0);
          const count = Math.max(1, Math.ceil(visible.length / 4));
          for (let i = 0; i < count; i += 1) {
            const group = visible
              .slice(i * 4, i * 4 + 4)
              .map(
                (sat) =>
                  `${pad2(sat.prn)},${pad2(sat.elevation)},${String(sat.azimuth).padStart(3, '0')},${fix ? pad2(sat.snr) : ''}`,
              );
            out.push(
              `GPGSV,${count},${i + 1},${pad2(visible.length)}${group.length ? ',' : ''}${group.join(',')}`,
            );
          }
          break;
        }
        case 'RMC':
          out.push(
            fix
              ? `${t}RMC,${time},A,${lat},${lon},${speedKnots.toFixed(2)},${track},${ddmmyy},,,A`
              : `${t}RMC,${time},V,,,,,,,${ddmmyy},,,N`,
          );
          break;
        case 'VTG':
          out.push(
            fix
              ? `${t}VTG,${track},T,,M,${speedKnots.toFixed(2)},N,${(speedKnots * 1.852).toFixed(2)},K,A`
              : `${t}VTG,,T,,M,,N,,K,N`,
          );
          break;
        case 'GLL':
          out.push(fix ? `${t}GLL,${lat},${lon},${time},A,A` : `${t}GLL,,,,,${time},V,N`);
          break;
        case 'ZDA':
          out.push(
            `${t}ZDA,${time},${pad2(date.getUTCDate())},${pad2(date.getUTCMonth() + 1)},${date.getUTCFullYear()},00,00`,
          );
          break;
        case 'GST':
          out.push(
            `${t}GST,${time},${(hdop * 2).toFixed(1)},,,,${this.#noiseM.toFixed(1)},${this.#noiseM.toFixed(1)},${(this.#noiseM * 1.6).toFixed(1)}`,
          );
          break;
      }
    }
    this.#epochs += 1;
    this.#timeMs = this.#startMs + Math.round((this.#epochs * 1000) / this.rateHz);
    return out.map(formatNmeaSentence);
  }

  /** Advances the simulated clock over epochs that are never sent. */
  #skipEpochs(count: number): void {
    this.#epochs += count;
    this.#timeMs = this.#startMs + Math.round((this.#epochs * 1000) / this.rateHz);
  }

  #hasFix(elapsedS: number): boolean {
    for (const outage of this.#outages) {
      if (elapsedS >= outage.startS && elapsedS < outage.startS + outage.durationS) return false;
    }
    if (this.#randomOutageEveryS > 0) {
      if (elapsedS < this.#randomOutageUntilS) return false;
      if (this.#random.next() < 1 / (this.#randomOutageEveryS * this.rateHz)) {
        this.#randomOutageUntilS = elapsedS + this.#random.between(3, 25);
        return false;
      }
    }
    return true;
  }

  #driftSky(): void {
    for (const sat of this.#sky) {
      sat.snr = Math.max(15, Math.min(50, Math.round(sat.snr + this.#random.gaussian() * 0.6)));
    }
  }
}

function pad2(n: number): string {
  return String(Math.floor(n)).padStart(2, '0');
}

/** (d)ddmm.mmmmm with the rounding carried into the degrees (never 60.00000 minutes). */
function formatCoordinate(
  value: number,
  degreeDigits: number,
  positive: string,
  negative: string,
): string {
  const hundredThousandthsOfMinute = Math.round(Math.abs(value) * 60 * 1e5);
  const degrees = Math.floor(hundredThousandthsOfMinute / 6e6);
  const minutes = (hundredThousandthsOfMinute - degrees * 6e6) / 1e5;
  const side = value >= 0 ? positive : negative;
  return `${String(degrees).padStart(degreeDigits, '0')}${minutes.toFixed(5).padStart(8, '0')},${side}`;
}

function formatLat(lat: number): string {
  return formatCoordinate(lat, 2, 'N', 'S');
}

function formatLon(lon: number): string {
  return formatCoordinate(lon, 3, 'E', 'W');
}
