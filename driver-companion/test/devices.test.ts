import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEMO_CITIES,
  Elm327Simulator,
  GpsSimulator,
  PID,
  SimulatedVehicle,
  TransportOpenError,
  createMemoryLink,
  createSimulatedLink,
  generateCityRoute,
} from '@fleetline/hardware';
import type { Elm327Scenario, MemoryLink, SimulatedLink, Transport } from '@fleetline/hardware';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeSource } from '../src/clock/time-source.js';
import { CompanionConfigSchema } from '../src/config/schema.js';
import { DrivingDeriver } from '../src/derive/driving-deriver.js';
import { transportEndpoint } from '../src/devices/endpoints.js';
import type { DeviceEndpoint } from '../src/devices/endpoints.js';
import { GpsSupervisor } from '../src/devices/gps-supervisor.js';
import { DeviceLocator } from '../src/devices/locator.js';
import { ObdSupervisor } from '../src/devices/obd-supervisor.js';
import { probeSerialPort } from '../src/devices/probe.js';
import { listSerialCandidates } from '../src/devices/serial-ports.js';
import { Outbox } from '../src/outbox/outbox.js';
import type { OutboxSample } from '../src/outbox/samples.js';
import { SampleSink } from '../src/sampling/sample-sink.js';
import { createLogger } from '../src/util/logger.js';
import { eventually } from './support/server.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const defaults = CompanionConfigSchema.parse({
  server: { url: 'http://x.test', token: `fld_${'a'.repeat(43)}` },
});
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function vehicle(seed = 3): SimulatedVehicle {
  return new SimulatedVehicle({
    route: generateCityRoute({ center: DEMO_CITIES.berlin ?? { lat: 52.5, lon: 13.4 }, seed }),
    seed,
  });
}

/** Outbox, sink, clock and derivations, as a companion wires them, with a way to read what was recorded. */
function recording() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-devices-'));
  const outbox = Outbox.open({
    file: path.join(dir, 'outbox.sqlite'),
    maxBytes: 64 << 20,
    synchronous: 'NORMAL',
    logger,
  });
  const sink = new SampleSink({ outbox, logger });
  sink.start();
  const time = new TimeSource({ maxDriftMs: 2000 });
  const deriver = new DrivingDeriver(defaults.derive, (d) => sink.push(d));
  cleanups.push(() => {
    sink.stop();
    outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    sink,
    time,
    deriver,
    samples(): OutboxSample[] {
      sink.flush();
      return outbox.read(0, null, 1_000_000).map((r) => r.sample);
    },
  };
}

/** An ELM327 that can be unplugged and plugged back in: each open() is a fresh cable. */
function pluggableElm(
  car: SimulatedVehicle,
  scenario: (link: MemoryLink) => Elm327Scenario = () => ({}),
) {
  let plugged = true;
  let current: MemoryLink | null = null;
  const endpoint: DeviceEndpoint = {
    label: 'simulated ELM327',
    async open() {
      if (!plugged) throw new TransportOpenError('no adapter plugged in');
      const link = createMemoryLink();
      current = link;
      await new Elm327Simulator({ vehicle: car, scenario: scenario(link) }).attach(link.device);
      await link.host.open();
      return link.host;
    },
    lost() {},
  };
  return {
    endpoint,
    unplug() {
      plugged = false;
      current?.unplug();
    },
    plug() {
      plugged = true;
    },
  };
}

/**
 * A simulated ELM327 in front of a vehicle that refuses some requests:
 * `refuse` sees each command the companion sends and returns the line the
 * ECU answers instead (a negative response such as `7E8 03 7F 09 11`), or
 * null to let the simulator answer. The adapter's settings by then are the
 * companion's: no echo, CR only, spaces and headers on.
 */
function refusingElm(car: SimulatedVehicle, refuse: (command: string) => string | null) {
  const commands: string[] = [];
  const endpoint: DeviceEndpoint = {
    label: 'simulated ELM327 (refusing)',
    async open() {
      const link = createMemoryLink();
      const device = link.device;
      const listeners = new Set<(chunk: Uint8Array) => void>();
      // The simulator's end of the cable, seeing only the commands the vehicle does not refuse.
      const simulatorSide: Transport = {
        kind: device.kind,
        description: device.description,
        get state() {
          return device.state;
        },
        open: () => device.open(),
        write: (data) => device.write(data),
        onData: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        onClose: (listener) => device.onClose(listener),
        chunks: () => device.chunks(),
        close: () => device.close(),
      };
      let line = '';
      device.onData((chunk) => {
        line += Buffer.from(chunk).toString('latin1');
        for (let end = line.indexOf('\r'); end >= 0; end = line.indexOf('\r')) {
          const raw = line.slice(0, end + 1);
          line = line.slice(end + 1);
          const command = raw.replace(/\s/g, '').toUpperCase();
          commands.push(command);
          const reply = refuse(command);
          if (reply === null)
            for (const listener of listeners) listener(Buffer.from(raw, 'latin1'));
          else void device.write(`${reply}\r\r>`);
        }
      });
      await new Elm327Simulator({ vehicle: car }).attach(simulatorSide);
      await link.host.open();
      return link.host;
    },
    lost() {},
  };
  return { endpoint, commands };
}

/** The PIDs of a service 01 request, or null for any other command. */
function mode01Pids(command: string): number[] | null {
  const bytes = (command.match(/../g) ?? []).map((h) => Number.parseInt(h, 16));
  return /^01([0-9A-F]{2})+$/.test(command) ? bytes.slice(1) : null;
}

function obdSupervisor(endpoint: DeviceEndpoint, rec: ReturnType<typeof recording>): ObdSupervisor {
  const supervisor = new ObdSupervisor({
    endpoint,
    sink: rec.sink,
    time: rec.time,
    deriver: rec.deriver,
    polling: {
      ...defaults.polling,
      requestTimeoutMs: 300,
      troubleCodesEveryS: 2,
      batteryEveryS: 1,
      ignitionCheckEveryS: 1,
    },
    logger,
  });
  cleanups.push(() => supervisor.stop());
  return supervisor;
}

const readingsOf = (samples: OutboxSample[]) => samples.filter((s) => s.kind === 'reading');

describe('the OBD supervisor', () => {
  it('polls the plan, reports ignition, battery, VIN and trouble codes', async () => {
    const rec = recording();
    const car = vehicle();
    const elm = pluggableElm(car, () => ({
      troubleCodes: { stored: ['P0420'], pending: ['P0171'] },
    }));
    const obd = obdSupervisor(elm.endpoint, rec);
    obd.start();
    await eventually(
      () => (readingsOf(rec.samples()).length >= 30 ? true : undefined),
      15_000,
      'readings',
    );
    await eventually(
      () =>
        rec.samples().some((s) => s.kind === 'dtc' && s.dtcKind === 'pending') ? true : undefined,
      10_000,
      'trouble codes',
    );
    const samples = rec.samples();
    const pids = new Set(readingsOf(samples).map((s) => (s.kind === 'reading' ? s.pid : -1)));
    for (const planned of defaults.polling.pids.map((p) => p.pid)) expect(pids).toContain(planned);
    expect(samples).toContainEqual(expect.objectContaining({ kind: 'status', ignition: true }));
    expect(samples).toContainEqual(
      expect.objectContaining({ kind: 'status', batteryV: expect.any(Number) as number }),
    );
    expect(samples).toContainEqual(
      expect.objectContaining({ kind: 'dtc', dtcKind: 'stored', codes: ['P0420'] }),
    );
    expect(samples).toContainEqual(
      expect.objectContaining({ kind: 'dtc', dtcKind: 'pending', codes: ['P0171'] }),
    );
    // Trouble codes are reported when they change, not at every read.
    expect(samples.filter((s) => s.kind === 'dtc' && s.dtcKind === 'stored')).toHaveLength(1);
    expect(obd.status()).toMatchObject({
      state: 'polling',
      ignition: true,
      vin: '1FL7SMV3HPC000001',
    });
    // Speed comes from the gearbox too; only the engine's is kept, once per reading time.
    const speeds = readingsOf(samples).filter((s) => s.kind === 'reading' && s.pid === 0x0d);
    expect(new Set(speeds.map((s) => s.t)).size).toBe(speeds.length);
  });

  it('survives the adapter being unplugged in the middle of a command, and picks up again when it is back', async () => {
    const rec = recording();
    const car = vehicle();
    let first = true;
    const elm = pluggableElm(car, () => {
      if (!first) return {};
      first = false;
      return { unplugMidCommand: { atQuery: 25, unplug: () => elm.unplug() } };
    });
    const obd = obdSupervisor(elm.endpoint, rec);
    obd.start();
    await eventually(
      () => (obd.status().lastError?.type === 'device_gone' ? true : undefined),
      20_000,
      'the unplug',
    );
    expect(['backoff', 'connecting']).toContain(obd.status().state);
    const before = readingsOf(rec.samples()).length;
    elm.plug();
    await eventually(
      () => (obd.status().connects >= 2 && obd.status().state === 'polling' ? true : undefined),
      20_000,
      'the reconnect',
    );
    await eventually(
      () => (readingsOf(rec.samples()).length > before + 10 ? true : undefined),
      15_000,
      'readings after the reconnect',
    );
  });

  it('polls a vehicle that refuses service 09 (no VIN) without reopening the adapter', async () => {
    const rec = recording();
    const elm = refusingElm(vehicle(), (command) =>
      command === '0902' ? '7E8 03 7F 09 11' : null,
    );
    const obd = obdSupervisor(elm.endpoint, rec);
    obd.start();
    await eventually(
      () => (readingsOf(rec.samples()).length >= 30 ? true : undefined),
      15_000,
      'readings',
    );
    expect(elm.commands).toContain('0902');
    expect(obd.status()).toMatchObject({
      state: 'polling',
      vin: null,
      connects: 1,
      lastError: null,
    });
  });

  it('counts a negative response to a service 01 request against its PIDs, not the connection', async () => {
    const rec = recording();
    // The ECU refuses every request that asks for the engine load (request out of range).
    const elm = refusingElm(vehicle(), (command) =>
      mode01Pids(command)?.includes(PID.ENGINE_LOAD) ? '7E8 03 7F 01 31' : null,
    );
    const obd = obdSupervisor(elm.endpoint, rec);
    obd.start();
    await eventually(
      () => (obd.status().dropped.includes(PID.ENGINE_LOAD) ? true : undefined),
      20_000,
      'the refused PID to be dropped',
    );
    // Asked alone before it was given up on, and never again after.
    expect(elm.commands).toContain(
      `01${PID.ENGINE_LOAD.toString(16).padStart(2, '0').toUpperCase()}`,
    );
    const asked = elm.commands.length;
    const before = readingsOf(rec.samples()).length;
    await eventually(
      () => (readingsOf(rec.samples()).length > before + 10 ? true : undefined),
      15_000,
      'more readings',
    );
    expect(
      elm.commands.slice(asked).filter((c) => mode01Pids(c)?.includes(PID.ENGINE_LOAD)),
    ).toEqual([]);
    const pids = new Set(readingsOf(rec.samples()).map((s) => (s.kind === 'reading' ? s.pid : -1)));
    expect(pids).toContain(PID.SPEED);
    expect(pids).not.toContain(PID.ENGINE_LOAD);
    expect(obd.status()).toMatchObject({ state: 'polling', connects: 1, lastError: null });
  });

  it('notices the ignition going off and on, and reports both', async () => {
    const rec = recording();
    const car = vehicle();
    const obd = obdSupervisor(pluggableElm(car).endpoint, rec);
    obd.start();
    await eventually(
      () => (obd.status().state === 'polling' ? true : undefined),
      15_000,
      'polling',
    );
    car.setEngine(false);
    await eventually(
      () => (obd.status().state === 'ignition_off' ? true : undefined),
      15_000,
      'ignition off',
    );
    expect(obd.status().ignition).toBe(false);
    // The battery is still read with the ignition off (the OBD port is always powered).
    const batteryOff = rec.samples().filter((s) => s.kind === 'status' && s.ignition === false);
    expect(batteryOff.length).toBeGreaterThan(0);
    car.setEngine(true);
    await eventually(
      () => (obd.status().state === 'polling' ? true : undefined),
      15_000,
      'polling again',
    );
    // Every status carries the ignition as then known; its changes are what matter.
    const ignitions = rec
      .samples()
      .flatMap((s) => (s.kind === 'status' && typeof s.ignition === 'boolean' ? [s.ignition] : []))
      .filter((on, i, all) => i === 0 || on !== all[i - 1]);
    expect(ignitions).toEqual([true, false, true]);
    // A PID that stopped answering with the engine is not given up on.
    expect(obd.status().dropped).toEqual([]);
  });

  it(
    'rides out CAN errors and a short hang on one connection (the client resets the adapter)',
    { timeout: 90_000 },
    async () => {
      const rec = recording();
      const car = vehicle();
      const obd = obdSupervisor(
        pluggableElm(car, () => ({ hang: { afterCommands: 40, commands: 2 }, canErrorEvery: 5 }))
          .endpoint,
        rec,
      );
      obd.start();
      await eventually(
        () => (obd.status().failedRequests >= 1 && obd.status().timeouts >= 2 ? true : undefined),
        40_000,
        'a CAN error and the hang',
      );
      const before = readingsOf(rec.samples()).length;
      await eventually(
        () => (readingsOf(rec.samples()).length > before + 20 ? true : undefined),
        20_000,
        'more readings',
      );
      expect(obd.status()).toMatchObject({ state: 'polling', connects: 1, dropped: [] });
    },
  );

  it('reopens an adapter that a reset does not bring back', { timeout: 90_000 }, async () => {
    const rec = recording();
    const car = vehicle();
    let opens = 0;
    // The first adapter dies for good after 30 commands; the one found on reopening works.
    const elm = pluggableElm(car, () =>
      (opens += 1) === 1 ? { hang: { afterCommands: 30, commands: 1000 } } : {},
    );
    const obd = obdSupervisor(elm.endpoint, rec);
    obd.start();
    await eventually(
      () => (obd.status().lastError?.type === 'adapter_unresponsive' ? true : undefined),
      40_000,
      'the adapter to be given up on',
    );
    await eventually(
      () => (obd.status().connects >= 2 && obd.status().state === 'polling' ? true : undefined),
      20_000,
      'the reopen',
    );
    const before = readingsOf(rec.samples()).length;
    await eventually(
      () => (readingsOf(rec.samples()).length > before + 10 ? true : undefined),
      20_000,
      'readings after the reopen',
    );
    // The ignition was never reported off for it: an adapter failing says nothing about the car.
    expect(rec.samples().some((s) => s.kind === 'status' && s.ignition === false)).toBe(false);
  });
});

describe('the GPS supervisor', () => {
  it('records fixes, notices a receiver that goes silent, and reopens it', async () => {
    const rec = recording();
    const car = vehicle();
    const link = await createSimulatedLink({ kind: 'memory' });
    cleanups.push(() => link.close());
    const gpsSim = new GpsSimulator({ vehicle: car, rateHz: 5, startTime: new Date() });
    await gpsSim.attach(link.device);
    gpsSim.start();
    cleanups.push(() => gpsSim.stop());
    const gps = new GpsSupervisor({
      endpoint: transportEndpoint(link.host),
      sink: rec.sink,
      time: rec.time,
      deriver: rec.deriver,
      config: { minIntervalMs: 0, silenceTimeoutS: 1 },
      logger,
    });
    cleanups.push(() => gps.stop());
    gps.start();
    await eventually(
      () => (gps.status().state === 'fix' && gps.status().positions >= 10 ? true : undefined),
      10_000,
      'fixes',
    );
    expect(rec.time.source).toBe('gps');
    gpsSim.stop();
    await eventually(() => (gps.status().state === 'silent' ? true : undefined), 5000, 'silence');
    expect(
      rec
        .samples()
        .filter((s) => s.kind === 'status')
        .map((s) => (s.kind === 'status' ? s.gpsFix : null)),
    ).toEqual(['gps', 'none']);
    await eventually(() => (gps.status().connects >= 2 ? true : undefined), 15_000, 'the reopen');
    gpsSim.start();
    await eventually(
      () => (gps.status().state === 'fix' ? true : undefined),
      10_000,
      'a fix again',
    );
    const positions = rec.samples().filter((s) => s.kind === 'position');
    // Positions carry the receiver's time, in order.
    expect(positions.every((p, i) => i === 0 || p.t > (positions[i - 1]?.t ?? 0))).toBe(true);
  });
});

describe('GPS time', () => {
  it('takes the sample clock from fixes only, never from a receiver without one', async () => {
    const rec = recording();
    const car = vehicle();
    const link = await createSimulatedLink({ kind: 'memory' });
    cleanups.push(() => link.close());
    // A receiver whose own clock is an hour ahead, with no fix for its first 3 s: its
    // no-fix sentences carry that time (RMC status V with a date), which must not count.
    const gpsSim = new GpsSimulator({
      vehicle: car,
      rateHz: 5,
      startTime: new Date(Date.now() + 3_600_000),
      outages: [{ startS: 0, durationS: 3 }],
    });
    await gpsSim.attach(link.device);
    gpsSim.start();
    cleanups.push(() => gpsSim.stop());
    const gps = new GpsSupervisor({
      endpoint: transportEndpoint(link.host),
      sink: rec.sink,
      time: rec.time,
      deriver: rec.deriver,
      config: { minIntervalMs: 0, silenceTimeoutS: 5 },
      logger,
    });
    cleanups.push(() => gps.stop());
    gps.start();
    await eventually(() => (gps.status().fixes >= 8 ? true : undefined), 5000, 'no-fix epochs');
    expect(gps.status().state).toBe('no_fix');
    expect(rec.time.status()).toMatchObject({
      source: 'system',
      gpsDriftMs: null,
      lastGpsTime: null,
      drifting: false,
    });
    // Then a fix: its time counts, an hour from the system clock.
    await eventually(() => (gps.status().state === 'fix' ? true : undefined), 10_000, 'a fix');
    await eventually(() => (rec.time.status().drifting ? true : undefined), 5000, 'the drift');
    expect(rec.time.status().source).toBe('gps');
    expect(Math.abs((rec.time.status().gpsDriftMs ?? 0) + 3_600_000)).toBeLessThan(2000);
  });
});

describe('device discovery on pseudo-terminals', () => {
  it('lists ports from /dev and tells an ELM327 from a GPS receiver by probing safely', async () => {
    const car = vehicle();
    const obdLink: SimulatedLink = await createSimulatedLink({ kind: 'pty' });
    const gpsLink: SimulatedLink = await createSimulatedLink({ kind: 'pty', baudRate: 9600 });
    cleanups.push(
      () => obdLink.close(),
      () => gpsLink.close(),
    );
    await new Elm327Simulator({ vehicle: car }).attach(obdLink.device);
    const gpsSim = new GpsSimulator({ vehicle: car, rateHz: 2 });
    await gpsSim.attach(gpsLink.device);
    gpsSim.start();
    cleanups.push(() => gpsSim.stop());

    // A fake /dev with the names real devices get.
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-dev-'));
    cleanups.push(() => fs.rmSync(dev, { recursive: true, force: true }));
    fs.mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    fs.symlinkSync(obdLink.hostPath ?? '', path.join(dev, 'ttyUSB0'));
    fs.symlinkSync(gpsLink.hostPath ?? '', path.join(dev, 'ttyACM0'));
    fs.symlinkSync(
      path.join(dev, 'ttyACM0'),
      path.join(dev, 'serial', 'by-id', 'usb-u-blox_AG_u-blox_7_GNSS_receiver-if00'),
    );
    fs.writeFileSync(path.join(dev, 'tty0'), '');
    const candidates = await listSerialCandidates(dev);
    expect(candidates.map((c) => [path.basename(c.path), c.hint]).sort()).toEqual([
      ['ttyUSB0', null],
      ['usb-u-blox_AG_u-blox_7_GNSS_receiver-if00', 'gps'],
    ]);

    const elm = await probeSerialPort(path.join(dev, 'ttyUSB0'), { listenMs: 500 });
    expect(elm).toMatchObject({ kind: 'elm327', baudRate: 38400, detail: 'ELM327 v1.5' });
    const gps = await probeSerialPort(path.join(dev, 'ttyACM0'), { listenMs: 1500 });
    expect(gps).toMatchObject({ kind: 'gps', baudRate: 9600 });

    const locator = new DeviceLocator({
      logger,
      listCandidates: () => listSerialCandidates(dev),
      tcpTargets: [],
    });
    const foundGps = await locator.find('gps');
    const foundObd = await locator.find('obd');
    expect(foundGps.label).toMatch(/u-blox.*@9600/);
    expect(foundObd.label).toMatch(/ttyUSB0@38400 \(ELM327 v1.5\)/);
    // Claimed ports are not handed out twice.
    await expect(locator.find('obd')).rejects.toThrow(/no ELM327 adapter found/);
    locator.release(foundObd.key);
    expect((await locator.find('obd')).key).toBe(foundObd.key);
  });
});
