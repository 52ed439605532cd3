import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { HardwareError, KNOWN_GATT_PROFILES } from '@fleetline/hardware';
import type { NobleLike, NoblePeripheralLike } from '@fleetline/hardware';
import { messageOf } from '../util/logger.js';

/**
 * Names BLE OBD adapters advertise. The same list as @fleetline/hardware's
 * BleTransport uses to pick "the first plausible adapter"; scan lists all of
 * them instead, so it needs the rule here (the library does not export it).
 */
const ADAPTER_NAME = /obd|elm|vlink|v-link|veepeak|vgate|icar|konnwei|carista|kiwi/i;
const KNOWN_SERVICES = new Set(KNOWN_GATT_PROFILES.map((p) => p.service));

export interface BleAdapterFound {
  peripheral: NoblePeripheralLike;
  /** The address when the stack reports one (Linux), else noble's id. */
  address: string;
  name: string | null;
}

/** A peripheral that looks like an OBD adapter: a known serial GATT service, or a telling name. */
export function isPlausibleAdapter(peripheral: NoblePeripheralLike): boolean {
  const advertised = (peripheral.advertisement.serviceUuids ?? []).map(shortUuid);
  return (
    advertised.some((uuid) => KNOWN_SERVICES.has(uuid)) ||
    ADAPTER_NAME.test(peripheral.advertisement.localName ?? '')
  );
}

/**
 * Scans for timeoutMs and returns every plausible adapter seen, once each,
 * in the order they were heard. Connects to none of them.
 */
export async function discoverBleAdapters(
  noble: NobleLike,
  timeoutMs: number,
): Promise<BleAdapterFound[]> {
  await poweredOn(noble, timeoutMs);
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
    // Many adapters do not advertise their service: scan without a filter, as the transport does.
    await noble.startScanningAsync([], false);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  } finally {
    noble.removeListener('discover', onDiscover);
    await noble.stopScanningAsync().catch(() => undefined);
  }
  return [...found.values()];
}

/**
 * The noble module @fleetline/hardware would load for a BLE transport (its
 * optional dependency, resolved from there), for a scan that lists
 * peripherals instead of connecting to the first. Throws a HardwareError
 * `ble_unavailable` where it is missing or the machine has no adapter.
 */
export async function loadNoble(): Promise<NobleLike> {
  try {
    const require = createRequire(import.meta.resolve('@fleetline/hardware'));
    const module = (await import(pathToFileURL(require.resolve('@abandonware/noble')).href)) as {
      default?: unknown;
    };
    const noble = (module.default ?? module) as NobleLike;
    if (typeof noble.startScanningAsync !== 'function') {
      throw new Error('the module does not look like noble');
    }
    return noble;
  } catch (error) {
    throw new HardwareError('ble_unavailable', `Bluetooth LE is unavailable: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function poweredOn(noble: NobleLike, timeoutMs: number): Promise<void> {
  if (noble.state === 'poweredOn') return Promise.resolve();
  return new Promise((resolve, reject) => {
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

/** noble reports 16-bit UUIDs as 'ffe0' and 128-bit ones without dashes; compare the short form. */
function shortUuid(uuid: string): string {
  const compact = uuid.toLowerCase().replace(/-/g, '');
  return compact.length === 32 &&
    compact.startsWith('0000') &&
    compact.endsWith('00001000800000805f9b34fb')
    ? compact.slice(4, 8)
    : compact;
}
