import { HardwareError } from '../../errors.js';
import { messageOf } from '../base-transport.js';
import type { NobleLike } from './noble-like.js';

let cached: Promise<NobleLike> | null = null;

/**
 * noble opens the Bluetooth socket while it loads and throws on a machine
 * without an adapter, so it is imported only when a BLE transport opens; the
 * rest of the library never pays for it or fails because of it.
 */
export function loadNoble(): Promise<NobleLike> {
  cached ??= (async () => {
    try {
      const specifier = '@abandonware/noble';
      const module = (await import(specifier)) as { default?: unknown };
      const noble = (module.default ?? module) as NobleLike;
      if (typeof noble.startScanningAsync !== 'function') {
        throw new Error('the module does not look like noble');
      }
      return noble;
    } catch (error) {
      cached = null;
      throw new HardwareError(
        'ble_unavailable',
        `Bluetooth LE is unavailable: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
  })();
  return cached;
}
