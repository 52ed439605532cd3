import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  Elm327Simulator,
  GpsSimulator,
  createDemoFleet,
  createMemoryLink,
  createSimulatedLink,
} from '@fleetline/hardware';
import type {
  NobleCharacteristicLike,
  NobleLike,
  NoblePeripheralLike,
  SimulatedVehicle,
} from '@fleetline/hardware';
import { afterEach, describe, expect, it } from 'vitest';
import { heldDevice, heldDevices, scanDevices } from '../src/cli/scan.js';
import type { Found } from '../src/cli/scan.js';
import { probeSerialPort, probeTcp } from '../src/devices/probe.js';
import { RecordingTransport } from './support/recording-rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function vehicle(): SimulatedVehicle {
  const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 3 });
  if (!car) throw new Error('no car');
  return car;
}

/** What a simulator was sent, as text. */
const receivedBy = (device: RecordingTransport) => device.received.map((r) => r.text).join('');

/** An ELM327 simulator behind a real pty; returns the host path and its recorded end. */
async function elmOnPty(car: SimulatedVehicle) {
  const link = await createSimulatedLink({ kind: 'pty' });
  cleanups.push(() => link.close());
  const device = new RecordingTransport(link.device);
  await new Elm327Simulator({ vehicle: car }).attach(device);
  return { hostPath: link.hostPath ?? '', device };
}

async function gpsOnPty(car: SimulatedVehicle) {
  const link = await createSimulatedLink({ kind: 'pty', baudRate: 9600 });
  cleanups.push(() => link.close());
  const device = new RecordingTransport(link.device);
  const sim = new GpsSimulator({ vehicle: car, rateHz: 5 });
  await sim.attach(device);
  sim.start({ stepVehicle: false });
  cleanups.push(() => sim.stop());
  return { hostPath: link.hostPath ?? '', device };
}

/**
 * A Wi-Fi adapter: a TCP listener whose every connection is bridged to a
 * simulator on an in-memory cable. Returns the port, how many connected, and
 * what the simulators were sent.
 */
async function tcpDevice(kind: 'elm327' | 'gps', car: SimulatedVehicle) {
  const devices: RecordingTransport[] = [];
  const server = net.createServer((socket) => {
    const link = createMemoryLink();
    const device = new RecordingTransport(link.device);
    devices.push(device);
    void (async () => {
      await link.host.open();
      link.host.onData((chunk) => socket.write(chunk));
      socket.on('data', (chunk) => void link.host.write(chunk).catch(() => undefined));
      if (kind === 'elm327') {
        const elm = new Elm327Simulator({ vehicle: car });
        await elm.attach(device);
        socket.on('close', () => void elm.detach().catch(() => undefined));
      } else {
        const sim = new GpsSimulator({ vehicle: car, rateHz: 5 });
        await sim.attach(device);
        sim.start({ stepVehicle: false });
        socket.on('close', () => sim.stop());
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, devices, received: () => devices.map(receivedBy).join('') };
}

class FakeCharacteristic extends EventEmitter implements NobleCharacteristicLike {
  constructor(
    readonly uuid: string,
    readonly properties: readonly string[],
    private readonly onWrite: (data: Buffer) => void = () => undefined,
  ) {
    super();
  }

  subscribeAsync(): Promise<void> {
    return Promise.resolve();
  }

  unsubscribeAsync(): Promise<void> {
    return Promise.resolve();
  }

  writeAsync(data: Buffer): Promise<void> {
    this.onWrite(data);
    return Promise.resolve();
  }
}

/** A BLE peripheral; with an ELM327 simulator behind an FFF0 serial service when `elm` is set. */
class FakePeripheral extends EventEmitter implements NoblePeripheralLike {
  connects = 0;
  readonly mtu = 23;
  readonly device: RecordingTransport | null = null;
  readonly #services: { uuid: string; characteristics: FakeCharacteristic[] }[] = [];

  constructor(
    readonly id: string,
    readonly advertisement: { localName?: string; serviceUuids?: string[] },
    elm: SimulatedVehicle | null,
  ) {
    super();
    if (!elm) return;
    const link = createMemoryLink();
    this.device = new RecordingTransport(link.device);
    const notify = new FakeCharacteristic('fff1', ['notify']);
    const write = new FakeCharacteristic('fff2', ['write'], (data) => {
      void link.host.write(data).catch(() => undefined);
    });
    void link.host.open();
    link.host.onData((chunk) => notify.emit('data', Buffer.from(chunk), true));
    void new Elm327Simulator({ vehicle: elm }).attach(this.device);
    this.#services.push({ uuid: 'fff0', characteristics: [notify, write] });
  }

  get address(): string {
    return this.id;
  }

  connectAsync(): Promise<void> {
    this.connects += 1;
    return Promise.resolve();
  }

  disconnectAsync(): Promise<void> {
    return Promise.resolve();
  }

  discoverAllServicesAndCharacteristicsAsync() {
    return Promise.resolve({
      services: this.#services,
      characteristics: this.#services.flatMap((s) => s.characteristics),
    });
  }
}

/** A Bluetooth central that "hears" the given peripherals (each twice) whenever it scans. */
class FakeNoble extends EventEmitter implements NobleLike {
  readonly state = 'poweredOn';

  constructor(readonly peripherals: FakePeripheral[]) {
    super();
  }

  startScanningAsync(): Promise<void> {
    setImmediate(() => {
      for (const p of [...this.peripherals, ...this.peripherals]) this.emit('discover', p);
    });
    return Promise.resolve();
  }

  stopScanningAsync(): Promise<void> {
    return Promise.resolve();
  }
}

describe('scan', () => {
  it(
    'probes only what the running companion does not hold, with safe commands only, and lists every BLE adapter',
    { timeout: 60_000 },
    async () => {
      const car = vehicle();
      const free = await elmOnPty(car);
      const held = await elmOnPty(car);
      const receiver = await gpsOnPty(car);
      // A receiver behind a USB-serial chip often used for OBD adapters: probed as an adapter first.
      const ftdiReceiver = await gpsOnPty(car);
      const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-scan-dev-'));
      cleanups.push(() => fs.rmSync(dev, { recursive: true, force: true }));
      fs.mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
      fs.symlinkSync(free.hostPath, path.join(dev, 'ttyUSB1'));
      fs.symlinkSync(held.hostPath, path.join(dev, 'ttyUSB10'));
      fs.symlinkSync(receiver.hostPath, path.join(dev, 'ttyACM0'));
      const ftdiName = 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0';
      fs.symlinkSync(ftdiReceiver.hostPath, path.join(dev, 'serial', 'by-id', ftdiName));

      const heldWifi = await tcpDevice('elm327', car);
      const freeWifi = await tcpDevice('elm327', car);

      const heldBle = new FakePeripheral('aa:bb:cc:00:00:01', { localName: 'OBDII' }, car);
      const freeBle = new FakePeripheral(
        'aa:bb:cc:00:00:02',
        { localName: 'IOS-Vlink', serviceUuids: ['0000fff0-0000-1000-8000-00805f9b34fb'] },
        car,
      );
      const watch = new FakePeripheral('aa:bb:cc:00:00:03', { localName: 'Fitbit Charge' }, null);
      const noble = new FakeNoble([heldBle, freeBle, watch]);

      // What the running companion reports: OBD on ttyUSB10 (so ttyUSB1 must still be
      // probed: a substring match would confuse them), GPS on the held Wi-Fi target, and a
      // BLE adapter by address (a daemon has one OBD and one GPS; the held list is what matters).
      const running = {
        pid: 4242,
        devices: [
          ...heldDevices({
            devices: {
              obd: { device: `serial:${path.join(dev, 'ttyUSB10')}@38400` },
              gps: { device: `auto: tcp:127.0.0.1:${heldWifi.port} (NMEA 0183 (GPGGA))` },
            },
          } as Parameters<typeof heldDevices>[0]),
          { transport: 'ble' as const, target: 'AA:BB:CC:00:00:01' },
        ],
      };
      const results = await scanDevices({
        devDir: dev,
        tcpTargets: [
          { host: '127.0.0.1', port: heldWifi.port },
          { host: '127.0.0.1', port: freeWifi.port },
        ],
        probe: true,
        ble: () => Promise.resolve(noble),
        bleScanMs: 300,
        running,
        serialProbe: { listenMs: 1000, quietMs: 300 },
      });
      const row = (where: string): Found | undefined =>
        results.find((r) => r.where.includes(where));

      // Serial: exact paths.
      expect(row('ttyUSB10')).toMatchObject({ kind: 'in_use', use: null });
      expect(row('ttyUSB1 ')).toMatchObject({
        kind: 'elm327',
        use: `serial:${path.join(dev, 'ttyUSB1')}@38400`,
      });
      expect(receivedBy(held.device)).toBe('');
      // The free adapter was only ever asked ATI: no reset, no bare CR, nothing for the vehicle.
      expect(receivedBy(free.device)).toMatch(/^(ATI\r)+$/);
      expect(row('ttyACM0')).toMatchObject({
        kind: 'gps',
        use: `serial:${path.join(dev, 'ttyACM0')}@9600`,
      });
      expect(receivedBy(receiver.device)).toBe('');
      // Named like an adapter, so asked as one first: but only after listening, which heard
      // NMEA, so the receiver was sent nothing. (A pty carries any baud rate, hence 38400.)
      expect(row(ftdiName)).toMatchObject({
        kind: 'gps',
        use: `serial:${path.join(dev, 'serial', 'by-id', ftdiName)}@38400`,
      });
      expect(receivedBy(ftdiReceiver.device)).toBe('');

      // Wi-Fi: the held target is never connected to; the other is asked ATI only.
      expect(row(`127.0.0.1:${heldWifi.port}`)).toMatchObject({ kind: 'in_use' });
      expect(heldWifi.devices).toHaveLength(0);
      expect(row(`127.0.0.1:${freeWifi.port}`)).toMatchObject({
        kind: 'elm327',
        use: `tcp:127.0.0.1:${freeWifi.port}`,
      });
      expect(freeWifi.received()).toMatch(/^(ATI\r)+$/);

      // Bluetooth LE: both adapters listed (each once), the held one not connected to, the
      // watch not listed at all.
      const ble = results.filter((r) => r.transport === 'ble');
      expect(ble.map((r) => [r.where, r.kind, r.use])).toEqual([
        ['aa:bb:cc:00:00:01 (OBDII)', 'in_use', null],
        ['aa:bb:cc:00:00:02 (IOS-Vlink)', 'elm327', 'ble:aa:bb:cc:00:00:02'],
      ]);
      expect(heldBle.connects).toBe(0);
      expect(receivedBy(heldBle.device as RecordingTransport)).toBe('');
      expect(receivedBy(freeBle.device as RecordingTransport)).toMatch(/^(ATI\r)+$/);
      expect(watch.connects).toBe(0);
    },
  );

  it('listens before asking: a receiver streaming NMEA over TCP is never sent ATI', async () => {
    const car = vehicle();
    const stream = await tcpDevice('gps', car);
    const result = await probeTcp('127.0.0.1', stream.port, 1500, 600);
    expect(result.kind).toBe('gps');
    expect(result.detail).toMatch(/^NMEA 0183 \(/);
    expect(stream.devices).toHaveLength(1);
    expect(stream.received()).toBe('');
  });

  it('asks a likely adapter ATI only after a moment of silence', async () => {
    const car = vehicle();
    const adapter = await elmOnPty(car);
    const started = Date.now();
    const result = await probeSerialPort(adapter.hostPath, { prefer: 'elm327', quietMs: 400 });
    expect(result).toMatchObject({ kind: 'elm327', baudRate: 38400 });
    const firstByte = adapter.device.received[0]?.at ?? 0;
    expect(firstByte - started).toBeGreaterThanOrEqual(400);
    expect(receivedBy(adapter.device)).toMatch(/^(ATI\r)+$/);
  });
});

describe('heldDevice', () => {
  it('reads back every endpoint label a companion reports', () => {
    expect(heldDevice('obd', 'serial:/dev/ttyUSB1@38400')).toEqual({
      transport: 'serial',
      path: '/dev/ttyUSB1',
    });
    expect(heldDevice('obd', 'auto: serial:/dev/serial/by-id/usb-x@38400 (ELM327 v1.5)')).toEqual({
      transport: 'serial',
      path: '/dev/serial/by-id/usb-x',
    });
    expect(heldDevice('obd', 'tcp:192.168.0.10')).toEqual({
      transport: 'tcp',
      host: '192.168.0.10',
      port: 35000,
    });
    expect(heldDevice('gps', 'tcp:10.0.0.2')).toEqual({
      transport: 'tcp',
      host: '10.0.0.2',
      port: 10110,
    });
    expect(heldDevice('obd', 'ble:OBDII')).toEqual({ transport: 'ble', target: 'OBDII' });
    expect(heldDevice('obd', 'ble')).toEqual({ transport: 'ble', target: null });
    expect(heldDevice('obd', 'auto (ELM327 not found yet)')).toBeNull();
    expect(heldDevice('gps', null)).toBeNull();
  });
});
