import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { createDemoFleet } from '@fleetline/hardware';
import type { SimulatedVehicle } from '@fleetline/hardware';
import { BatchReplySchema, DEVICE_NAMESPACE, PID } from '@fleetline/protocol';
import type {
  DeviceToServerEvents,
  ServerToDeviceEvents,
  TelemetrySampleInput,
} from '@fleetline/protocol';

type DeviceSocket = Socket<ServerToDeviceEvents, DeviceToServerEvents>;

export interface SimulatedFleetOptions {
  serverUrl: string;
  vehicles: { token: string; name: string }[];
  tickMs?: number;
  /** Simulated seconds per real second (the vehicles drive faster than life). */
  timeScale?: number;
  /** Trouble codes a vehicle reports, by index (stored codes, mode 03). */
  troubleCodes?: Record<number, string[]>;
  /** The first trip ends after this long (real time), and a new one starts. */
  firstTripMs?: number;
}

interface Device {
  name: string;
  vehicle: SimulatedVehicle;
  socket: DeviceSocket;
  seq: number;
  ready: boolean;
  tripOpen: boolean;
  tripStartedAt: number;
  tripStartDistanceM: number;
  firstTripDone: boolean;
  sentDtcs: boolean;
}

/**
 * Real socket.io device connections on the /device uplink, each driving a
 * SimulatedVehicle from @fleetline/hardware (the same simulator the demo
 * fleet uses) through the demo city and sending protocol samples: positions,
 * OBD-II readings, status, trouble codes and trip events. Devices reconnect
 * by themselves (a restarted server picks up where they were).
 */
export class SimulatedFleet {
  readonly #devices: Device[];
  #timer: ReturnType<typeof setInterval> | null = null;
  #last = Date.now();
  readonly #tickMs: number;
  readonly #timeScale: number;

  constructor(private readonly options: SimulatedFleetOptions) {
    this.#tickMs = options.tickMs ?? 500;
    this.#timeScale = options.timeScale ?? 3;
    const vehicles = createDemoFleet({ size: options.vehicles.length, city: 'berlin', seed: 1 });
    this.#devices = options.vehicles.map((v, i) => {
      const socket: DeviceSocket = io(`${options.serverUrl}${DEVICE_NAMESPACE}`, {
        auth: { token: v.token },
        transports: ['websocket'],
        reconnectionDelay: 200,
        reconnectionDelayMax: 1000,
        forceNew: true,
      });
      const device: Device = {
        name: v.name,
        vehicle: vehicles[i] as SimulatedVehicle,
        socket,
        seq: 0,
        ready: false,
        tripOpen: false,
        tripStartedAt: 0,
        tripStartDistanceM: 0,
        firstTripDone: false,
        sentDtcs: false,
      };
      socket.on('hello', (hello) => {
        device.seq = Math.max(device.seq, hello.highestStoredSeq);
        device.ready = true;
      });
      socket.on('disconnect', () => {
        device.ready = false;
      });
      return device;
    });
  }

  /** Resolves when every device has its hello. */
  async connected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#devices.every((d) => d.ready)) {
      if (Date.now() > deadline) throw new Error('simulated devices did not connect');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  start(): void {
    this.#last = Date.now();
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const d of this.#devices) d.socket.close();
  }

  #tick(): void {
    const now = Date.now();
    const dtS = ((now - this.#last) / 1000) * this.#timeScale;
    this.#last = now;
    this.#devices.forEach((d, index) => {
      d.vehicle.step(dtS);
      if (!d.ready) return;
      void this.#send(d, this.#samples(d, index, now)).catch(() => {
        // A dropped connection loses this tick's samples; the next tick sends fresh ones.
      });
    });
  }

  #samples(d: Device, index: number, t: number): TelemetrySampleInput[] {
    const s = d.vehicle.state;
    const next = () => ++d.seq;
    const samples: TelemetrySampleInput[] = [
      {
        kind: 'position',
        seq: next(),
        t,
        lat: s.position.lat,
        lon: s.position.lon,
        speedKmh: Math.round(s.speedKmh * 10) / 10,
        headingDeg: Math.round(s.headingDeg * 10) / 10,
        altitudeM: 34,
        hdop: 0.8,
        satellites: 11,
        fixQuality: 'gps',
      },
      {
        kind: 'status',
        seq: next(),
        t,
        batteryV: Math.round(s.batteryV * 100) / 100,
        ignition: s.ignition,
        gpsFix: 'gps',
      },
    ];
    const readings: [number, number, string][] = [
      [PID.SPEED, Math.round(s.speedKmh), 'km/h'],
      [PID.RPM, Math.round(s.rpm), 'rpm'],
      [PID.COOLANT_TEMP, Math.round(s.coolantC), '°C'],
      [PID.FUEL_LEVEL, Math.round(s.fuelLevelPct * 10) / 10, '%'],
      [PID.CONTROL_MODULE_VOLTAGE, Math.round(s.batteryV * 1000) / 1000, 'V'],
      [PID.THROTTLE, Math.round(s.throttlePct * 10) / 10, '%'],
      [PID.ENGINE_LOAD, Math.round(s.engineLoadPct * 10) / 10, '%'],
      [PID.INTAKE_AIR_TEMP, Math.round(s.intakeAirC), '°C'],
    ];
    for (const [pid, value, unit] of readings)
      samples.push({ kind: 'reading', seq: next(), t, pid, part: 0, value, unit });
    if (!d.sentDtcs) {
      d.sentDtcs = true;
      samples.push({
        kind: 'dtc',
        seq: next(),
        t,
        dtcKind: 'stored',
        codes: this.options.troubleCodes?.[index] ?? [],
      });
    }
    const firstTripMs = this.options.firstTripMs ?? 6000;
    const tripStart = (at: number) => {
      d.tripOpen = true;
      d.tripStartedAt = at;
      d.tripStartDistanceM = s.distanceM;
      samples.push({
        kind: 'driving',
        seq: next(),
        t: at,
        event: 'trip_start',
        lat: s.position.lat,
        lon: s.position.lon,
        speedKmh: s.speedKmh,
      });
    };
    if (!d.tripOpen) tripStart(t);
    else if (!d.firstTripDone && t - d.tripStartedAt >= firstTripMs) {
      // The first trip ends (a delivery stop) and the next begins: one finished trip to replay.
      d.firstTripDone = true;
      samples.push({
        kind: 'driving',
        seq: next(),
        t,
        event: 'trip_end',
        lat: s.position.lat,
        lon: s.position.lon,
        durationS: (t - d.tripStartedAt) / 1000,
        distanceKm: (s.distanceM - d.tripStartDistanceM) / 1000,
      });
      tripStart(t + 1);
    }
    return samples;
  }

  async #send(d: Device, samples: TelemetrySampleInput[]): Promise<void> {
    const reply: unknown = await d.socket.timeout(5000).emitWithAck('telemetry', { samples });
    const parsed = BatchReplySchema.parse(reply);
    if ('error' in parsed) throw new Error(parsed.error.message);
    if (parsed.rejected.length > 0)
      throw new Error(`${d.name}: samples refused: ${JSON.stringify(parsed.rejected)}`);
  }
}
