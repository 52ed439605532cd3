import { HardwareError } from '../../errors.js';
import type { NobleLike, NoblePeripheralLike } from './noble-like.js';
import { KNOWN_GATT_PROFILES, normalizeUuid } from './profiles.js';

/** Names BLE OBD adapters commonly advertise, for adapters that do not advertise their service. */
const ADAPTER_NAME = /obd|elm|vlink|v-link|veepeak|vgate|icar|konnwei|carista|kiwi/i;
const KNOWN_SERVICES = new Set(KNOWN_GATT_PROFILES.map((p) => p.service));

/** A peripheral that looks like an OBD adapter: a known serial GATT service, or a telling name. */
export function isPlausibleAdapter(peripheral: NoblePeripheralLike): boolean {
  const advertised = (peripheral.advertisement.serviceUuids ?? []).map(normalizeUuid);
  return (
    advertised.some((uuid) => KNOWN_SERVICES.has(uuid)) ||
    ADAPTER_NAME.test(peripheral.advertisement.localName ?? '')
  );
}

export interface BleAdapterFound {
  peripheral: NoblePeripheralLike;
  /** The address when the stack reports one (Linux), else noble's id. */
  address: string;
  name: string | null;
}

/**
 * Scans for timeoutMs and returns every plausible adapter heard, once each,
 * in the order they were heard. Connects to none of them (a scan must not
 * take an adapter from the companion that uses it).
 */
export async function discoverBleAdapters(
  noble: NobleLike,
  timeoutMs: number,
): Promise<BleAdapterFound[]> {
  await waitPoweredOn(noble, timeoutMs);
  const found = new Map<string, BleAdapterFound>();
  const onDiscover = (peripheral: NoblePeripheralLike): void => {
    if (found.has(peripheral.id) || !isPlausibleAdapter(peripheral)) return;
    found.set(peripheral.id, {
      peripheral,
      address: peripheral.address || peripheral.id,
      name: peripheral.advertisement.localName ?? null,
    });
  };
  noble.on('discover', onDiscover);
  try {
    // Many adapters do not advertise their service: scan without a filter.
    await noble.startScanningAsync([], false);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  } finally {
    noble.removeListener('discover', onDiscover);
    await noble.stopScanningAsync().catch(() => undefined);
  }
  return [...found.values()];
}

/** Resolves once the Bluetooth adapter is powered on; `ble_unavailable` after timeoutMs. */
export async function waitPoweredOn(noble: NobleLike, timeoutMs: number): Promise<void> {
  if (noble.state === 'poweredOn') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      noble.removeListener('stateChange', onState);
      reject(
        new HardwareError('ble_unavailable', `Bluetooth adapter is ${noble.state}, not poweredOn`),
      );
    }, timeoutMs);
    const onState = (state: string): void => {
      if (state !== 'poweredOn') return;
      clearTimeout(timer);
      noble.removeListener('stateChange', onState);
      resolve();
    };
    noble.on('stateChange', onState);
  });
}
