import type { Transport } from '@fleetline/hardware';
import type { DeviceEndpoint } from './endpoints.js';

/** What a supervisor does at each step of its device's life. */
export interface DeviceLoopHooks {
  /** The device, for log messages: 'GPS receiver', 'OBD adapter'. */
  name: string;
  /** About to open the device. */
  connecting(): void;
  /** The device is open. */
  opened(transport: Transport): void;
  /** Uses the device until it goes away (or the loop is aborted); resolves or rejects with why it ended. */
  session(transport: Transport): Promise<unknown>;
  /** The device is closed again (before any back-off). */
  closed(): void;
  /**
   * The session ended and the loop goes on: whether the device itself is
   * gone (an auto-detected one is looked for again) and what to log.
   */
  ended(reason: unknown): { lost: boolean; what: string };
  /** Records the failure and waits out the back-off. */
  fail(error: unknown, what: string): Promise<void>;
}

/**
 * The loop both device supervisors run until aborted: open the device, use
 * it until it goes away, close it, back off, open it again. A failure to
 * open and a session that ends both go through `fail` (back-off); stopping
 * (the signal) ends the loop at any step without a back-off.
 */
export async function runDeviceLoop(
  endpoint: DeviceEndpoint,
  signal: AbortSignal,
  hooks: DeviceLoopHooks,
): Promise<void> {
  while (!signal.aborted) {
    hooks.connecting();
    let transport: Transport;
    try {
      transport = await endpoint.open();
    } catch (error) {
      if (signal.aborted) break;
      await hooks.fail(error, `cannot open the ${hooks.name}`);
      continue;
    }
    if (signal.aborted) {
      await transport.close().catch(() => undefined);
      break;
    }
    hooks.opened(transport);
    let reason: unknown;
    try {
      reason = await hooks.session(transport);
    } catch (error) {
      reason = error;
    } finally {
      hooks.closed();
      await transport.close().catch(() => undefined);
    }
    if (signal.aborted) break;
    const { lost, what } = hooks.ended(reason);
    if (lost) endpoint.lost();
    await hooks.fail(reason, what);
  }
}
