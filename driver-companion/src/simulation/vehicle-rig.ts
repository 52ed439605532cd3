import { Elm327Simulator, GpsSimulator, createSimulatedLink } from '@fleetline/hardware';
import type {
  Elm327Scenario,
  SimulatedLink,
  SimulatedLinkKind,
  SimulatedVehicle,
} from '@fleetline/hardware';
import { DEFAULT_BAUD } from '../devices/endpoints.js';

/** A simulated car's two devices, each at the far end of its own cable. */
export interface VehicleRig {
  vehicle: SimulatedVehicle;
  elm: Elm327Simulator;
  gps: GpsSimulator;
  obdLink: SimulatedLink;
  gpsLink: SimulatedLink;
  /** Pulls both cables and stops the simulators. */
  close(): Promise<void>;
}

export interface VehicleRigOptions {
  vehicle: SimulatedVehicle;
  link: SimulatedLinkKind;
  gpsHz?: number;
  /** The GPS simulator steps the vehicle (one vehicle); false when a fleet clock does. */
  stepVehicle?: boolean;
  scenario?: Elm327Scenario;
  vin?: string;
  seed?: number;
  /** Pace the ELM327 like a real 38400 baud line (a pty ignores baud rates). */
  paceSerial?: boolean;
}

/**
 * Builds the simulated ELM327 and GPS receiver for one vehicle: on
 * pseudo-terminals (socat), so the companion opens them as serial ports
 * exactly as it opens real hardware, or on in-memory cables for fleets of
 * dozens in one process. The receiver's clock starts at the real UTC time.
 */
export async function createVehicleRig(options: VehicleRigOptions): Promise<VehicleRig> {
  const obdLink = await createSimulatedLink({ kind: options.link, baudRate: DEFAULT_BAUD.obd });
  let gpsLink: SimulatedLink | null = null;
  try {
    gpsLink = await createSimulatedLink({ kind: options.link, baudRate: DEFAULT_BAUD.gps });
    const elm = new Elm327Simulator({
      vehicle: options.vehicle,
      scenario: options.scenario ?? {},
      ...(options.vin ? { vin: options.vin } : {}),
      bytesPerSecond: options.paceSerial ? DEFAULT_BAUD.obd / 10 : null,
    });
    await elm.attach(obdLink.device);
    const gps = new GpsSimulator({
      vehicle: options.vehicle,
      rateHz: options.gpsHz ?? 1,
      startTime: new Date(),
      seed: options.seed ?? 7,
    });
    await gps.attach(gpsLink.device);
    gps.start({ stepVehicle: options.stepVehicle ?? true });
    const links = { obd: obdLink, gps: gpsLink };
    return {
      vehicle: options.vehicle,
      elm,
      gps,
      obdLink,
      gpsLink,
      async close() {
        gps.stop();
        await elm.detach().catch(() => undefined);
        await gps.detach().catch(() => undefined);
        await links.obd.close().catch(() => undefined);
        await links.gps.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await obdLink.close().catch(() => undefined);
    await gpsLink?.close().catch(() => undefined);
    throw error;
  }
}

/** A plausible VIN per demo vehicle (valid characters, unique suffix). */
export function demoVin(index: number): string {
  return `1FLDMV${String(index + 1).padStart(11, '0')}`;
}
