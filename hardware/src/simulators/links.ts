import { createMemoryLink } from '../transports/memory.js';
import type { MemoryLinkOptions } from '../transports/memory.js';
import { SerialTransport } from '../transports/serial.js';
import type { Transport } from '../transports/transport.js';
import { createPtyPair } from './pty.js';
import type { PtyPairOptions } from './pty.js';

/** Where a simulator sits: the in-memory cable, or a real pseudo-terminal pair. */
export type SimulatedLinkKind = 'memory' | 'pty';

export interface SimulatedLink {
  kind: SimulatedLinkKind;
  /** The client's end, not yet opened: exactly what real hardware would give. */
  host: Transport;
  /** The simulator's end. */
  device: Transport;
  /** For 'pty': the tty path the client opens (e.g. for the companion's config). */
  hostPath: string | null;
  /** Pulls the cable: the client sees the device go away. */
  unplug(): Promise<void>;
  /** Tears everything down. */
  close(): Promise<void>;
}

export interface SimulatedLinkOptions {
  kind: SimulatedLinkKind;
  baudRate?: number;
  memory?: MemoryLinkOptions;
  pty?: PtyPairOptions;
}

export async function createSimulatedLink(options: SimulatedLinkOptions): Promise<SimulatedLink> {
  if (options.kind === 'memory') {
    const link = createMemoryLink(options.memory);
    return {
      kind: 'memory',
      host: link.host,
      device: link.device,
      hostPath: null,
      unplug: () => {
        link.unplug();
        return Promise.resolve();
      },
      close: async () => {
        await link.host.close();
        await link.device.close();
      },
    };
  }
  const pair = await createPtyPair(options.pty);
  const baudRate = options.baudRate ?? 38400;
  const host = new SerialTransport({ path: pair.hostPath, baudRate });
  const device = new SerialTransport({ path: pair.devicePath, baudRate });
  return {
    kind: 'pty',
    host,
    device,
    hostPath: pair.hostPath,
    // Killing socat is what unplugging a USB adapter looks like: the tty vanishes.
    unplug: () => pair.close(),
    close: async () => {
      await host.close();
      await device.close();
      await pair.close();
    },
  };
}
