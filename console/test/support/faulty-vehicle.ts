import path from 'node:path';
import {
  Companion,
  createLogger,
  loadConfig,
  transportEndpoint,
} from '@fleetline/driver-companion';
import {
  Elm327Simulator,
  GpsSimulator,
  createDemoFleet,
  createSimulatedLink,
} from '@fleetline/hardware';

/** Trouble codes the faulty vehicle's engine ECU reports. */
export interface TroubleCodes {
  stored: string[];
  pending: string[];
}

export interface FaultyVehicle {
  codes: TroubleCodes;
  /** The driver pulls over and turns the engine off: the companion sees the ignition go off and ends the trip. */
  park(): void;
  stop(): Promise<void>;
}

/**
 * One more vehicle for the end-to-end test, with trouble codes: the demo
 * fleet's simulated adapters report none (driver-companion's startDemoFleet
 * gives them no scenario), so a check of the codes shown would be vacuous.
 * Built as the demo fleet builds its vehicles, from the packages' public
 * parts: a simulated car on a Berlin street loop, a simulated ELM327 (with
 * the codes in its engine ECU) and GPS receiver on in-memory cables, and a
 * real Companion reading them and talking to the server.
 */
export async function startFaultyVehicle(options: {
  serverUrl: string;
  token: string;
  name: string;
  dataDir: string;
  codes: TroubleCodes;
}): Promise<FaultyVehicle> {
  // Another seed than the demo fleet's, so it drives its own streets.
  const [vehicle] = createDemoFleet({ size: 1, city: 'berlin', seed: 77 });
  if (!vehicle) throw new Error('no simulated vehicle');
  const obdLink = await createSimulatedLink({ kind: 'memory' });
  const gpsLink = await createSimulatedLink({ kind: 'memory' });
  const elm = new Elm327Simulator({
    vehicle,
    vin: 'WVWZZZ1JZ3W389999',
    scenario: { troubleCodes: { stored: options.codes.stored, pending: options.codes.pending } },
  });
  await elm.attach(obdLink.device);
  const gps = new GpsSimulator({ vehicle, rateHz: 1, startTime: new Date(), seed: 77 });
  await gps.attach(gpsLink.device);
  // The receiver drives the car (no fleet clock here).
  gps.start({ stepVehicle: true });
  const config = loadConfig({
    env: {},
    cwd: options.dataDir,
    overrides: {
      name: options.name,
      server: { url: options.serverUrl, token: options.token },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      storage: { dataDir: path.join(options.dataDir, 'faulty-vehicle'), synchronous: 'NORMAL' },
      health: { port: null },
    },
  });
  const companion = await Companion.start({
    config,
    logger: createLogger('silent'),
    devices: {
      obd: transportEndpoint(obdLink.host, `simulated ELM327 of ${options.name}`),
      gps: transportEndpoint(gpsLink.host, `simulated GPS of ${options.name}`),
    },
  });
  return {
    codes: options.codes,
    park() {
      vehicle.setEngine(false);
    },
    async stop() {
      await companion.stop(2000).catch(() => undefined);
      gps.stop();
      await elm.detach().catch(() => undefined);
      await gps.detach().catch(() => undefined);
      await obdLink.close().catch(() => undefined);
      await gpsLink.close().catch(() => undefined);
    },
  };
}
