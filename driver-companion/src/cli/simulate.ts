import { DEMO_CITIES, createDemoFleet } from '@fleetline/hardware';
import { DTC_CODE_PATTERN } from '@fleetline/protocol';
import { transportEndpoint } from '../devices/endpoints.js';
import { createVehicleRig, demoVin } from '../simulation/vehicle-rig.js';
import type { ParsedCommand } from './commands.js';
import { UsageError, configFlags } from './commands.js';
import type { CliIo } from './io.js';
import { runDaemon } from './run.js';

/** `simulate`: the real daemon against a simulated ELM327 and GPS receiver. */
export async function simulate(io: CliIo, parsed: ParsedCommand): Promise<number> {
  const v = parsed.values;
  const link = typeof v.link === 'string' ? v.link : 'pty';
  if (link !== 'pty' && link !== 'memory')
    throw new UsageError('simulate: --link is pty or memory');
  const city = typeof v.city === 'string' ? v.city : 'berlin';
  if (!(city in DEMO_CITIES)) {
    throw new UsageError(`simulate: --city is one of ${Object.keys(DEMO_CITIES).join(', ')}`);
  }
  const seed = integer(v.seed, 'seed', 1, 1_000_000, 1);
  const gpsHz = integer(v['gps-hz'], 'gps-hz', 1, 10, 5);
  const codes = (v.dtc as string[] | undefined) ?? [];
  for (const code of codes) {
    if (!DTC_CODE_PATTERN.test(code))
      throw new UsageError(`simulate: --dtc ${code} is not a trouble code such as P0301`);
  }
  const [vehicle] = createDemoFleet({ size: 1, city: city, seed });
  if (!vehicle) throw new Error('the demo fleet made no vehicle');
  const rig = await createVehicleRig({
    vehicle,
    link,
    gpsHz,
    seed,
    vin: demoVin(seed - 1),
    paceSerial: link === 'pty',
    scenario: {
      ...(v['engine-off'] === true ? { engineOff: true } : {}),
      ...(codes.length > 0 ? { troubleCodes: { stored: codes } } : {}),
    },
  });
  try {
    if (link === 'pty') {
      io.err(
        `simulated ELM327 on ${rig.obdLink.hostPath}, GPS receiver (${gpsHz} Hz) on ${rig.gpsLink.hostPath}`,
      );
      return await runDaemon(io, configFlags(v), {
        overrides: {
          devices: {
            obd: { transport: 'serial', path: rig.obdLink.hostPath, baudRate: 38400 },
            gps: { transport: 'serial', path: rig.gpsLink.hostPath, baudRate: 9600 },
          },
        },
      });
    }
    io.err(`simulated ELM327 and GPS receiver (${gpsHz} Hz) on in-memory cables`);
    return await runDaemon(io, configFlags(v), {
      devices: {
        obd: transportEndpoint(rig.obdLink.host, 'simulated ELM327 (memory)'),
        gps: transportEndpoint(rig.gpsLink.host, 'simulated GPS (memory)'),
      },
    });
  } finally {
    await rig.close();
  }
}

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`simulate: --${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}
