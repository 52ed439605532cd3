import path from 'node:path';
import { createDemoFleet } from '@fleetline/hardware';
import type { LatLon, DEMO_CITIES } from '@fleetline/hardware';
import { Companion } from '../companion.js';
import { loadConfig } from '../config/load.js';
import { transportEndpoint } from '../devices/endpoints.js';
import { createVehicleRig, demoVin } from '../simulation/vehicle-rig.js';
import type { VehicleRig } from '../simulation/vehicle-rig.js';
import { createLogger, messageOf } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { DemoDriver } from './demo-driver.js';
import type { DriverActivity } from './demo-driver.js';

/** How many vehicles `npm start` registers and runs when nobody says otherwise. */
export const DEFAULT_DEMO_FLEET_SIZE = 30;

export interface DemoVehicle {
  /** The device token register-vehicle printed for this vehicle. */
  token: string;
  /** Its name, for logs, the status and its outbox directory. */
  name: string;
  plate?: string;
}

export interface DemoFleetOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  serverUrl: string;
  vehicles: readonly DemoVehicle[];
  /** A city of DEMO_CITIES (berlin, paris, madrid, warsaw, toronto) or a centre point. */
  city?: keyof typeof DEMO_CITIES | LatLon;
  /** Each vehicle keeps its outbox in its own directory under here. */
  dataDir: string;
  logger?: Logger;
  /** Receiver rate of every simulated GPS, 1 to 10 Hz (default 1). */
  gpsHz?: number;
  /** Another seed, another set of routes and drivers (default 1). */
  seed?: number;
  /** Drivers park, idle and brake hard now and then (default true). */
  eventful?: boolean;
}

export interface DemoVehicleStatus {
  name: string;
  activity: DriverActivity;
  uplink: string;
  obd: string;
  gps: string;
  pending: number;
  stored: number;
  speedKmh: number;
  position: LatLon;
  tripSince: number | null;
  health: string;
}

export interface DemoFleetStatus {
  vehicles: DemoVehicleStatus[];
  connected: number;
  pending: number;
  stored: number;
}

export interface DemoFleet {
  /** The companions, one per vehicle: the daemon's own class. */
  readonly companions: readonly Companion[];
  status(): DemoFleetStatus;
  /** Stops every companion (each waits briefly for replies in flight), then the simulators. */
  stop(): Promise<void>;
}

/** The fleet clock's tick: vehicles move in steps this long. */
const TICK_MS = 200;

/**
 * Runs a demo fleet in this process: per vehicle, a simulated ELM327 and GPS
 * receiver on in-memory cables (ptys for dozens of vehicles would need
 * socat everywhere) and a real Companion, the class the daemon runs, with
 * its own outbox under dataDir, talking to the server like any vehicle.
 * Vehicles drive plausible loops through a city; larger fleets for load
 * work are the same call with more vehicles.
 */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const base = options.logger ?? createLogger('info');
  const log = base.child({ component: 'demo-fleet' });
  const count = options.vehicles.length;
  const seed = options.seed ?? 1;
  const simulated = createDemoFleet({ size: count, city: options.city ?? 'berlin', seed });
  const drivers = simulated.map(
    (vehicle, i) =>
      new DemoDriver(vehicle, { seed: seed * 10_007 + i, eventful: options.eventful ?? true }),
  );
  const rigs: VehicleRig[] = [];
  const companions: Companion[] = [];
  let last = performance.now();
  const clock = setInterval(() => {
    const now = performance.now();
    const dtS = (now - last) / 1000;
    last = now;
    for (const driver of drivers) driver.step(dtS);
  }, TICK_MS);
  clock.unref();

  const stop = async (): Promise<void> => {
    clearInterval(clock);
    await Promise.all(
      companions.map((c) =>
        c
          .stop(2000)
          .catch((error: unknown) => log.error({ err: messageOf(error) }, 'companion stop failed')),
      ),
    );
    await Promise.all(rigs.map((r) => r.close()));
  };

  try {
    for (let i = 0; i < count; i += 1) {
      const vehicle = simulated[i];
      const demo = options.vehicles[i];
      if (!vehicle || !demo) continue;
      rigs.push(
        await createVehicleRig({
          vehicle,
          link: 'memory',
          gpsHz: options.gpsHz ?? 1,
          stepVehicle: false,
          vin: demoVin(i),
          seed: seed * 31 + i,
        }),
      );
    }
    const started = await Promise.all(
      options.vehicles.map(async (demo, i) => {
        const rig = rigs[i];
        if (!rig) throw new Error(`no simulator for ${demo.name}`);
        // The same validation as the daemon's configuration, from nothing but these values.
        const config = loadConfig({
          env: {},
          cwd: options.dataDir,
          overrides: {
            name: demo.name,
            server: { url: options.serverUrl, token: demo.token },
            devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
            storage: {
              dataDir: path.join(options.dataDir, directoryName(i, demo.name)),
              // A demo on a laptop: commits survive a crash, not a power cut, and cost no fsync.
              synchronous: 'NORMAL',
              maxDiskMb: 64,
            },
            health: { port: null },
          },
        });
        return Companion.start({
          config,
          logger: base.child({ vehicle: demo.name }),
          devices: {
            obd: transportEndpoint(rig.obdLink.host, `simulated ELM327 of ${demo.name}`),
            gps: transportEndpoint(rig.gpsLink.host, `simulated GPS of ${demo.name}`),
          },
        });
      }),
    );
    companions.push(...started);
  } catch (error) {
    await stop();
    throw error;
  }
  log.info(
    { vehicles: count, city: options.city ?? 'berlin', dataDir: options.dataDir },
    'demo fleet running',
  );

  return {
    companions,
    status() {
      const vehicles = companions.map((companion, i): DemoVehicleStatus => {
        const status = companion.status();
        const state = simulated[i]?.state;
        return {
          name: status.name,
          activity: drivers[i]?.activity ?? 'driving',
          uplink: status.uplink.state,
          obd: status.devices.obd.state,
          gps: status.devices.gps.state,
          pending: status.outbox.pending,
          stored: status.uplink.sender?.samplesStored ?? 0,
          speedKmh: Math.round((state?.speedKmh ?? 0) * 10) / 10,
          position: state?.position ?? { lat: 0, lon: 0 },
          tripSince: status.driving.trip?.startT ?? null,
          health: status.health,
        };
      });
      return {
        vehicles,
        connected: vehicles.filter((v) => v.uplink === 'connected').length,
        pending: vehicles.reduce((sum, v) => sum + v.pending, 0),
        stored: vehicles.reduce((sum, v) => sum + v.stored, 0),
      };
    },
    stop,
  };
}

function directoryName(index: number, name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${String(index + 1).padStart(3, '0')}-${slug || 'vehicle'}`;
}
