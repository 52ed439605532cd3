import { BleTransport, SerialTransport, TcpTransport } from '@fleetline/hardware';
import type { Transport } from '@fleetline/hardware';
import type { DeviceConfig } from '../config/schema.js';
import { formatDeviceSpec } from '../config/device-spec.js';
import type { DeviceLocator } from './locator.js';

export type DeviceRole = 'obd' | 'gps';

/** Where a device is reached; each open() gives an open transport, fresh or reopened. */
export interface DeviceEndpoint {
  /** For logs and the health report; an auto endpoint names the port it found. */
  readonly label: string;
  open(): Promise<Transport>;
  /** The device went away: an auto endpoint forgets where it was and looks again. */
  lost(): void;
}

export const DEFAULT_BAUD: Record<DeviceRole, number> = { obd: 38400, gps: 9600 };

/** The endpoint a device configuration describes; null for `none`. */
export function endpointFor(
  role: DeviceRole,
  config: DeviceConfig,
  locator: DeviceLocator,
): DeviceEndpoint | null {
  switch (config.transport) {
    case 'none':
      return null;
    case 'auto':
      return new AutoEndpoint(role, locator);
    case 'serial':
      return fixed(
        formatDeviceSpec(config),
        () =>
          new SerialTransport({
            path: config.path,
            baudRate: config.baudRate ?? DEFAULT_BAUD[role],
          }),
      );
    case 'tcp':
      return fixed(
        formatDeviceSpec(config),
        () =>
          new TcpTransport({
            host: config.host,
            port: config.port ?? (role === 'obd' ? 35000 : 10110),
          }),
      );
    case 'ble':
      return fixed(
        formatDeviceSpec(config),
        () =>
          new BleTransport({
            ...(config.address ? { peripheral: config.address } : {}),
            ...(config.name ? { name: config.name } : {}),
          }),
      );
  }
}

function fixed(label: string, create: () => Transport): DeviceEndpoint {
  return {
    label,
    async open() {
      const transport = create();
      await transport.open();
      return transport;
    },
    lost() {},
  };
}

/**
 * A transport made elsewhere (the demo fleet's in-memory cables): reopened
 * after each close, like a port that is always plugged in.
 */
export function transportEndpoint(
  transport: Transport,
  label = transport.description,
): DeviceEndpoint {
  return {
    label,
    async open() {
      if (transport.state !== 'open') await transport.open();
      return transport;
    },
    lost() {},
  };
}

class AutoEndpoint implements DeviceEndpoint {
  #label: string;
  #found: string | null = null;

  constructor(
    readonly role: DeviceRole,
    readonly locator: DeviceLocator,
  ) {
    this.#label = `auto (${role === 'obd' ? 'ELM327' : 'GPS'} not found yet)`;
  }

  get label(): string {
    return this.#label;
  }

  async open(): Promise<Transport> {
    const found = await this.locator.find(this.role);
    this.#found = found.key;
    this.#label = `auto: ${found.label}`;
    try {
      const transport = found.create();
      await transport.open();
      return transport;
    } catch (error) {
      this.lost();
      throw error;
    }
  }

  lost(): void {
    if (this.#found) this.locator.release(this.#found);
    this.#found = null;
  }
}
