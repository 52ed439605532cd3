import { describe, expect, it } from 'vitest';
import { DeviceGoneError, HardwareError } from '../../errors.js';
import { Elm327Client } from '../../elm327/client.js';
import { BleTransport } from './ble.js';
import { FakeCharacteristic, FakeNoble, FakePeripheral } from './fake-noble.test-helper.js';
import type { FakeEvent } from './fake-noble.test-helper.js';
import { matchGattProfile, normalizeUuid, splitForWrite, writeChunkSize } from './profiles.js';

function service(uuid: string, chars: FakeCharacteristic[]) {
  return { uuid, characteristics: chars };
}

describe('GATT profile matching', () => {
  const c = (uuid: string, properties: string[]) => ({ uuid, properties });

  it('finds each known profile', () => {
    expect(
      matchGattProfile([
        { uuid: 'ffe0', characteristics: [c('ffe1', ['read', 'writeWithoutResponse', 'notify'])] },
      ]),
    ).toMatchObject({
      profile: 'FFE0/FFE1',
      notify: 'ffe1',
      write: 'ffe1',
      writeWithoutResponse: true,
    });
    expect(
      matchGattProfile([
        { uuid: 'fff0', characteristics: [c('fff1', ['notify']), c('fff2', ['write'])] },
      ]),
    ).toMatchObject({
      profile: 'FFF0/FFF1+FFF2',
      notify: 'fff1',
      write: 'fff2',
      writeWithoutResponse: false,
    });
    expect(
      matchGattProfile([
        {
          uuid: '000018f0-0000-1000-8000-00805f9b34fb',
          characteristics: [c('2af0', ['notify']), c('2AF1', ['write', 'writeWithoutResponse'])],
        },
      ]),
    ).toMatchObject({
      profile: '18F0/2AF0+2AF1',
      service: '18f0',
      write: '2af1',
    });
  });

  it('prefers a known pair over a guess, whatever the service order', () => {
    const match = matchGattProfile([
      { uuid: 'abcd', characteristics: [c('abc1', ['notify']), c('abc2', ['write'])] },
      { uuid: 'fff0', characteristics: [c('fff1', ['notify']), c('fff2', ['write'])] },
    ]);
    expect(match?.profile).toBe('FFF0/FFF1+FFF2');
  });

  it('guesses a notify+write pair on an unknown service, never on the standard ones', () => {
    const match = matchGattProfile([
      { uuid: '1800', characteristics: [c('2a00', ['read', 'write', 'notify'])] },
      {
        uuid: 'e7810a7173ae499d8c15faa9aef0c3f2',
        characteristics: [c('bef8d6c99c214c9eb632bd58c1009f9f', ['notify', 'write'])],
      },
    ]);
    expect(match).toMatchObject({ profile: null, service: 'e7810a7173ae499d8c15faa9aef0c3f2' });
    expect(
      matchGattProfile([{ uuid: '1800', characteristics: [c('2a00', ['write', 'notify'])] }]),
    ).toBeNull();
  });

  it('normalises UUID spellings and sizes writes to the negotiated MTU', () => {
    expect(normalizeUuid('0000FFE1-0000-1000-8000-00805F9B34FB')).toBe('ffe1');
    expect(writeChunkSize(null)).toBe(20);
    expect(writeChunkSize(185)).toBe(182);
    expect(splitForWrite(Uint8Array.from([1, 2, 3, 4, 5]), 2).map((b) => [...b])).toEqual([
      [1, 2],
      [3, 4],
      [5],
    ]);
  });
});

describe('BleTransport', () => {
  function fffAdapter(log: FakeEvent[], mtu: number | null = null) {
    const notify = new FakeCharacteristic('fff1', ['notify'], log);
    const write = new FakeCharacteristic('fff2', ['write', 'writeWithoutResponse'], log);
    const peripheral = new FakePeripheral({
      id: 'aa:bb:cc:dd:ee:ff',
      localName: 'OBDII',
      services: [service('1800', []), service('fff0', [notify, write])],
      mtu,
    });
    return { notify, write, peripheral };
  }

  it('subscribes before the first write', async () => {
    const log: FakeEvent[] = [];
    const { peripheral } = fffAdapter(log);
    const transport = new BleTransport({ noble: new FakeNoble([peripheral]), scanTimeoutMs: 500 });
    await transport.open();
    await transport.write('ATZ\r');
    expect(log.map((e) => e.kind)).toEqual(['subscribe', 'write']);
    expect(transport.gatt?.profile).toBe('FFF0/FFF1+FFF2');
    expect(transport.description).toBe('ble:aa:bb:cc:dd:ee:ff');
  });

  it('splits writes to 20 bytes before MTU negotiation and to MTU-3 after', async () => {
    const log: FakeEvent[] = [];
    const { peripheral } = fffAdapter(log);
    const transport = new BleTransport({ noble: new FakeNoble([peripheral]) });
    await transport.open();
    const command = '01 0C 0D 05 11 2F 42 0C 0D 05 11\r';
    await transport.write(command);
    const writes = log.filter((e) => e.kind === 'write');
    expect(writes.map((w) => (w.kind === 'write' ? w.data.length : 0))).toEqual([
      20,
      command.length - 20,
    ]);
    expect(writes.map((w) => (w.kind === 'write' ? w.data : '')).join('')).toBe(command);

    const log2: FakeEvent[] = [];
    const big = fffAdapter(log2, 23 + 10);
    const transport2 = new BleTransport({ noble: new FakeNoble([big.peripheral]) });
    await transport2.open();
    await transport2.write(command);
    expect(
      log2.filter((e) => e.kind === 'write').map((w) => (w.kind === 'write' ? w.data.length : 0)),
    ).toEqual([30, command.length - 30]);
  });

  it('hands notifications split anywhere to the ELM327 client as one reply', async () => {
    const reply =
      '7E8 10 14 49 02 01 31 46 4C\r7E8 21 37 53 4D 56 33 48 50\r7E8 22 43 30 30 30 30 30 31\r\r>';
    for (const size of [1, 3, 7, 20]) {
      const log: FakeEvent[] = [];
      const { peripheral, notify, write } = fffAdapter(log);
      write.onWrite = () => {
        for (let i = 0; i < reply.length; i += size) notify.notify(reply.slice(i, i + size));
      };
      const transport = new BleTransport({ noble: new FakeNoble([peripheral]) });
      await transport.open();
      const client = new Elm327Client(transport);
      const answer = await client.send('0902');
      expect(answer.lines).toEqual([
        '7E8 10 14 49 02 01 31 46 4C',
        '7E8 21 37 53 4D 56 33 48 50',
        '7E8 22 43 30 30 30 30 30 31',
      ]);
    }
  });

  it('reports a dropped link as the device going away', async () => {
    const { peripheral } = fffAdapter([]);
    const transport = new BleTransport({ noble: new FakeNoble([peripheral]) });
    await transport.open();
    const closed = new Promise((resolve) => transport.onClose(resolve));
    peripheral.drop();
    expect(await closed).toBeInstanceOf(DeviceGoneError);
    await expect(transport.write('ATZ\r')).rejects.toBeInstanceOf(HardwareError);
  });

  it('skips peripherals that are not OBD adapters and fails clearly when none has a serial channel', async () => {
    const log: FakeEvent[] = [];
    const headphones = new FakePeripheral({ id: 'headphones', localName: 'Buds', services: [] });
    const { peripheral } = fffAdapter(log);
    const transport = new BleTransport({ noble: new FakeNoble([headphones, peripheral]) });
    await transport.open();
    expect(transport.description).toBe('ble:aa:bb:cc:dd:ee:ff');

    const noChannel = new FakePeripheral({
      id: 'obd-x',
      localName: 'OBD X',
      services: [service('180a', [])],
    });
    const failing = new BleTransport({ noble: new FakeNoble([noChannel]) });
    await expect(failing.open()).rejects.toMatchObject({ type: 'ble_profile_not_found' });
    expect(noChannel.connected).toBe(false);
  });

  it('lets the adapter go when opening fails after the connection was made', async () => {
    const { notify, peripheral } = fffAdapter([]);
    notify.subscribeError = new Error('GATT error 0x0e');
    const transport = new BleTransport({ noble: new FakeNoble([peripheral]) });
    await expect(transport.open()).rejects.toThrow(/GATT error/);
    expect(transport.state).toBe('closed');
    expect(peripheral.connected).toBe(false);
    expect(notify.listenerCount('data')).toBe(0);
    // Once the adapter answers again, the same transport opens it.
    notify.subscribeError = null;
    await transport.open();
    expect(transport.state).toBe('open');
  });

  it('gives up on an adapter that never finishes connecting, with a typed error', async () => {
    const { peripheral } = fffAdapter([]);
    peripheral.connectHangs = true;
    const transport = new BleTransport({
      noble: new FakeNoble([peripheral]),
      connectTimeoutMs: 50,
    });
    await expect(transport.open()).rejects.toThrow(/no progress connecting within 50 ms/);
    expect(peripheral.disconnects).toBe(1);
  });

  it('times out with a typed error when no adapter is found', async () => {
    const transport = new BleTransport({ noble: new FakeNoble([]), scanTimeoutMs: 30 });
    await expect(transport.open()).rejects.toMatchObject({ type: 'ble_device_not_found' });
  });
});

describe('BleTransport with the real noble module', () => {
  it('fails with a typed error, not a crash, on a machine without a usable Bluetooth adapter', async () => {
    const transport = new BleTransport({ scanTimeoutMs: 200 });
    const error: unknown = await transport.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HardwareError);
    expect(['ble_unavailable', 'ble_device_not_found']).toContain((error as HardwareError).type);
    expect(transport.state).toBe('closed');
  });
});
