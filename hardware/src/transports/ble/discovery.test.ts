import { describe, expect, it } from 'vitest';
import { discoverBleAdapters, isPlausibleAdapter, waitPoweredOn } from './discovery.js';
import { FakeNoble, FakePeripheral } from './fake-noble.test-helper.js';

const peripheral = (id: string, localName?: string, advertised?: string[]) =>
  new FakePeripheral({ id, services: [], ...(localName ? { localName } : {}), advertised });

describe('BLE adapter discovery', () => {
  it('knows an adapter by a known serial service (short or 128-bit) or by a telling name', () => {
    expect(isPlausibleAdapter(peripheral('a', undefined, ['ffe0']))).toBe(true);
    expect(
      isPlausibleAdapter(peripheral('b', undefined, ['0000FFF0-0000-1000-8000-00805F9B34FB'])),
    ).toBe(true);
    expect(isPlausibleAdapter(peripheral('c', undefined, ['18f0']))).toBe(true);
    expect(isPlausibleAdapter(peripheral('d', 'Vgate iCar Pro'))).toBe(true);
    expect(isPlausibleAdapter(peripheral('e', 'OBDII'))).toBe(true);
    // A heart-rate strap and a nameless beacon are not adapters.
    expect(isPlausibleAdapter(peripheral('f', 'Polar H10', ['180d']))).toBe(false);
    expect(isPlausibleAdapter(peripheral('g'))).toBe(false);
  });

  it('lists every plausible adapter once, in the order heard, and connects to none', async () => {
    const adapters = [
      peripheral('11:22:33:44:55:01', 'OBDII', ['fff0']),
      peripheral('11:22:33:44:55:02', 'Polar H10', ['180d']),
      peripheral('11:22:33:44:55:03', 'vLinker MC+'),
      peripheral('11:22:33:44:55:01', 'OBDII', ['fff0']),
    ];
    const noble = new FakeNoble(adapters);
    const found = await discoverBleAdapters(noble, 50);
    expect(found.map((f) => [f.address, f.name])).toEqual([
      ['11:22:33:44:55:01', 'OBDII'],
      ['11:22:33:44:55:03', 'vLinker MC+'],
    ]);
    expect(adapters.some((p) => p.connected)).toBe(false);
    expect(noble.listenerCount('discover')).toBe(0);
  });

  it('says Bluetooth is unavailable when the adapter never powers on', async () => {
    const noble = new FakeNoble([]);
    noble.state = 'poweredOff';
    await expect(waitPoweredOn(noble, 30)).rejects.toMatchObject({ type: 'ble_unavailable' });
    expect(noble.listenerCount('stateChange')).toBe(0);
  });
});
