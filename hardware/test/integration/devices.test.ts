import { afterEach, describe, expect, it } from 'vitest';
import {
  AdapterReplyError,
  CLEAR_TROUBLE_CODES_CONFIRMATION,
  DEMO_CITIES,
  DeviceGoneError,
  Elm327Client,
  Elm327Simulator,
  GpsReader,
  GpsSimulator,
  ObdSession,
  PID,
  SerialTransport,
  SimulatedVehicle,
  TimeoutError,
  TransportOpenError,
  createSimulatedLink,
  fixToPositionSample,
  generateCityRoute,
} from '../../src/index.js';
import type {
  Elm327Scenario,
  Elm327SimulatorOptions,
  GnssFix,
  GpsSimulatorOptions,
  SimulatedLink,
  SimulatedLinkKind,
} from '../../src/index.js';
import { PositionSampleSchema } from '@fleetline/protocol';

const VIN = '1FL7SMV3HPC000001';
const open: SimulatedLink[] = [];

afterEach(async () => {
  for (const link of open.splice(0)) await link.close().catch(() => undefined);
});

function vehicleAfter(seconds: number): SimulatedVehicle {
  const vehicle = new SimulatedVehicle({
    route: generateCityRoute({ center: DEMO_CITIES.berlin ?? { lat: 52.52, lon: 13.4 }, seed: 3 }),
    seed: 3,
  });
  for (let t = 0; t < seconds; t += 1) vehicle.step(1);
  return vehicle;
}

/**
 * The same suite runs over the in-memory cable and over a real pseudo-terminal
 * pair (socat) at 38400 baud, where the client uses the serialport code path.
 */
for (const kind of ['memory', 'pty'] as SimulatedLinkKind[]) {
  describe(`devices over ${kind === 'pty' ? 'a socat pty pair at 38400 baud' : 'the in-memory link'}`, () => {
    async function elm(
      options: Partial<Elm327SimulatorOptions> & { scenario?: Elm327Scenario } = {},
      clientTimeoutMs = 2000,
    ): Promise<{
      link: SimulatedLink;
      sim: Elm327Simulator;
      client: Elm327Client;
      obd: ObdSession;
    }> {
      const link = await createSimulatedLink({ kind, baudRate: 38400 });
      open.push(link);
      const sim = new Elm327Simulator({ vehicle: vehicleAfter(90), vin: VIN, ...options });
      await sim.attach(link.device);
      await link.host.open();
      const client = new Elm327Client(link.host, {
        timeoutMs: clientTimeoutMs,
        searchTimeoutMs: 5000,
      });
      return { link, sim, client, obd: new ObdSession(client) };
    }

    it('initialises like a real adapter: reset, echo off, headers on, automatic protocol search', async () => {
      const { client } = await elm();
      const init = await client.initialize();
      expect(init.version).toBe('ELM327 v1.5');
      expect(init.protocol).toMatchObject({ id: '6', family: 'can11' });
      expect(init.auto).toBe(true);
      expect(init.firstReply.searched).toBe(true);
      expect(await client.batteryVoltage()).toBeGreaterThan(13);
    });

    it('discovers supported PIDs and polls single and multi-PID requests that track the vehicle', async () => {
      const { client, obd, sim } = await elm();
      await client.initialize();
      const supported = await obd.supportedPids();
      expect(supported).toEqual(
        expect.arrayContaining([
          PID.RPM,
          PID.SPEED,
          PID.COOLANT_TEMP,
          PID.FUEL_LEVEL,
          PID.CONTROL_MODULE_VOLTAGE,
          0x20,
          0x40,
        ]),
      );
      const single = await obd.readPids([PID.SPEED]);
      const ecm = single.find((r) => r.ecu === '7E8');
      expect(ecm?.value).toBe(Math.round(sim.vehicle.state.speedKmh));
      const six = [
        PID.RPM,
        PID.SPEED,
        PID.COOLANT_TEMP,
        PID.FUEL_LEVEL,
        PID.CONTROL_MODULE_VOLTAGE,
        PID.THROTTLE,
      ];
      const readings = await obd.readPids(six);
      const byPid = new Map(readings.filter((r) => r.ecu === '7E8').map((r) => [r.pid, r.value]));
      expect([...byPid.keys()].sort((a, b) => a - b)).toEqual([...six].sort((a, b) => a - b));
      expect(byPid.get(PID.COOLANT_TEMP)).toBe(Math.round(sim.vehicle.state.coolantC));
      expect(Math.abs((byPid.get(PID.RPM) ?? 0) - sim.vehicle.state.rpm)).toBeLessThanOrEqual(0.25);
      expect(byPid.get(PID.CONTROL_MODULE_VOLTAGE)).toBeCloseTo(sim.vehicle.state.batteryV, 2);
      expect(readings.some((r) => r.ecu === '7E9' && r.pid === PID.SPEED)).toBe(true);
    });

    it('reads the VIN (multi-frame), calibration ID and both ECU names', async () => {
      const { client, obd } = await elm();
      await client.initialize();
      expect(await obd.readVin()).toBe(VIN);
      expect(await obd.readCalibrationIds()).toEqual(['FLEETLINE-SIM-01']);
      expect(await obd.readEcuNames()).toEqual([
        { ecu: '7E8', name: 'ECM-EngineControl' },
        { ecu: '7E9', name: 'TCM-TransmissionCtl' },
      ]);
    });

    it('reads the VIN with headers off, from the numbered multi-frame lines', async () => {
      const { client, obd } = await elm();
      await client.initialize();
      await client.command('ATH0');
      expect(client.headers).toBe(false);
      expect(await obd.readVin()).toBe(VIN);
    });

    const ENDS = {
      '7': { name: 'CAN 29-bit', ecm: '18DAF110' },
      '3': { name: 'ISO 9141-2, legacy frames', ecm: '486B10' },
      // KWP2000's header carries each answer's length: one ECU must keep one id.
      '5': { name: 'KWP2000 fast init, length in the header', ecm: '80F110' },
    } as const;
    for (const protocol of ['7', '3', '5'] as const) {
      it(`speaks protocol ${protocol} (${ENDS[protocol].name}) end to end`, async () => {
        const { client, obd } = await elm({
          protocol,
          scenario: { troubleCodes: { stored: ['P0301', 'P0420', 'P0171', 'U0100'] } },
        });
        const init = await client.initialize();
        expect(init.protocol.id).toBe(protocol);
        expect(obd.maxPidsPerRequest).toBe(protocol === '7' ? 6 : 1);
        const readings = await obd.readPids([PID.RPM, PID.SPEED, PID.COOLANT_TEMP]);
        const ecm = readings.filter((r) => r.ecu === ENDS[protocol].ecm);
        expect(ecm.map((r) => r.pid).sort((a, b) => a - b)).toEqual(
          [PID.RPM, PID.SPEED, PID.COOLANT_TEMP].sort((a, b) => a - b),
        );
        expect(await obd.readVin()).toBe(VIN);
        const codes = (await obd.readTroubleCodes('stored')).flatMap((r) =>
          r.codes.map((c) => c.code),
        );
        expect(codes).toEqual(['P0301', 'P0420', 'P0171', 'U0100']);
      });
    }

    it('reports stored, pending and permanent codes and clears them only when confirmed', async () => {
      const { client, obd } = await elm({
        scenario: {
          troubleCodes: { stored: ['P0301', 'P0420'], pending: ['P0171'], permanent: ['P0420'] },
        },
      });
      await client.initialize();
      const stored = await obd.readTroubleCodes('stored');
      expect(stored.find((r) => r.ecu === '7E8')?.codes.map((c) => c.code)).toEqual([
        'P0301',
        'P0420',
      ]);
      expect(
        (await obd.readTroubleCodes('pending'))
          .find((r) => r.ecu === '7E8')
          ?.codes.map((c) => c.code),
      ).toEqual(['P0171']);
      expect(
        (await obd.readTroubleCodes('permanent'))
          .find((r) => r.ecu === '7E8')
          ?.codes.map((c) => c.code),
      ).toEqual(['P0420']);
      const mil = await obd.readPids([0x01]);
      expect(mil.find((r) => r.ecu === '7E8' && r.part === 1)?.value).toBe(2);
      await obd.clearTroubleCodes({ confirm: CLEAR_TROUBLE_CODES_CONFIRMATION });
      expect((await obd.readTroubleCodes('stored')).find((r) => r.ecu === '7E8')?.codes).toEqual(
        [],
      );
    });

    it('engine off: the vehicle query ends in UNABLE TO CONNECT', async () => {
      const { client } = await elm({ scenario: { engineOff: true } });
      const error: unknown = await client.initialize().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdapterReplyError);
      expect((error as AdapterReplyError).outcome).toBe('unable_to_connect');
    });

    it('CAN errors come back as their own outcome and the next query still works', async () => {
      const { client, obd } = await elm({ scenario: { canErrorEvery: 3 } });
      await client.initialize();
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        outcomes.push(
          await obd.readPids([PID.SPEED]).then(
            () => 'ok',
            (e: unknown) => (e as AdapterReplyError).outcome,
          ),
        );
      }
      expect(outcomes).toEqual(['ok', 'can_error', 'ok']);
    });

    it('a slow adapter: a short timeout fails typed, a patient one gets the answer', async () => {
      const { client } = await elm({ scenario: { responseDelayMs: 400 } }, 150);
      await client.initialize().catch(() => undefined);
      await client.command('ATH1');
      await expect(client.send('010D')).rejects.toBeInstanceOf(TimeoutError);
      const patient = await client.send('010D', { timeoutMs: 3000 });
      expect(patient.outcome).toBe('data');
      expect(patient.lines.some((line) => line.includes('41 0D'))).toBe(true);
    });

    it('an adapter that stops answering is reset and the client carries on', async () => {
      const { client, obd } = await elm(
        { scenario: { hang: { afterCommands: 9, commands: 2 } } },
        200,
      );
      await client.initialize();
      expect(await obd.readPids([PID.SPEED]).catch((e: unknown) => e)).toBeInstanceOf(TimeoutError);
      expect(await obd.readPids([PID.SPEED]).catch((e: unknown) => e)).toBeInstanceOf(TimeoutError);
      const readings = await obd.readPids([PID.SPEED]);
      expect(readings.length).toBeGreaterThan(0);
      expect(client.headers).toBe(true);
    });

    it('unplugged mid-command: the pending query fails with DeviceGoneError, never a crash', async () => {
      let unplug: () => void = () => undefined;
      const { client, obd, link } = await elm({
        scenario: { unplugMidCommand: { atQuery: 3, unplug: () => unplug() } },
      });
      unplug = () => void link.unplug();
      await client.initialize();
      await obd.readPids([PID.SPEED]);
      const error: unknown = await obd.readVin().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceGoneError);
      await expect(obd.readPids([PID.SPEED])).rejects.toBeInstanceOf(DeviceGoneError);
    });

    async function gps(
      options: Partial<GpsSimulatorOptions> = {},
    ): Promise<{ sim: GpsSimulator; reader: GpsReader; fixes: GnssFix[] }> {
      const link = await createSimulatedLink({ kind, baudRate: 38400 });
      open.push(link);
      const sim = new GpsSimulator({ vehicle: vehicleAfter(60), rateHz: 5, ...options });
      await sim.attach(link.device);
      const reader = new GpsReader(link.host);
      const fixes: GnssFix[] = [];
      reader.onFix((fix) => fixes.push(fix));
      reader.start();
      await link.host.open();
      return { sim, reader, fixes };
    }

    it('GPS: epochs become fixes with the receiver date, and map onto protocol position samples', async () => {
      const { sim, fixes } = await gps({ startTime: new Date(Date.UTC(2024, 1, 29, 23, 59, 59)) });
      for (let i = 0; i < 12; i += 1) {
        sim.vehicle.step(0.2);
        sim.emitEpoch();
      }
      await waitFor(() => fixes.length >= 11);
      expect(fixes[0]?.time).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
      expect(fixes[5]?.time).toBe(Date.UTC(2024, 2, 1, 0, 0, 0));
      for (const fix of fixes) {
        expect(fix.mode).toBe('3d');
        const sample = fixToPositionSample(fix);
        expect(PositionSampleSchema.safeParse({ ...sample, seq: 1 }).success).toBe(true);
      }
      const last = fixes.at(-1);
      expect(Math.abs((last?.lat ?? 0) - sim.vehicle.state.position.lat)).toBeLessThan(0.001);
    });

    it('GPS: fix loss gives no-fix epochs, then the receiver recovers (2D first)', async () => {
      const { sim, fixes } = await gps({ outages: [{ startS: 1, durationS: 1 }] });
      for (let i = 0; i < 40; i += 1) sim.emitEpoch();
      await waitFor(() => fixes.length >= 39);
      const modes = fixes.map((f) => f.mode);
      expect(modes.slice(0, 5)).toEqual(['3d', '3d', '3d', '3d', '3d']);
      expect(modes.slice(5, 10)).toEqual(['no_fix', 'no_fix', 'no_fix', 'no_fix', 'no_fix']);
      expect(modes[10]).toBe('2d');
      expect(modes.at(-1)).toBe('3d');
      expect(
        fixes.filter((f) => f.mode === 'no_fix').every((f) => fixToPositionSample(f) === null),
      ).toBe(true);
    });
  });
}

describe('serial transport', () => {
  it('fails to open a missing device with a typed error', async () => {
    const transport = new SerialTransport({
      path: '/dev/does-not-exist-fleetline',
      baudRate: 38400,
    });
    await expect(transport.open()).rejects.toBeInstanceOf(TransportOpenError);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
