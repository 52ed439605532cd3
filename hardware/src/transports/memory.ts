import { BaseTransport } from './base-transport.js';
import type { Transport } from './transport.js';

export interface MemoryLinkOptions {
  /** Names used in descriptions and errors. */
  hostName?: string;
  deviceName?: string;
  /**
   * Splits every write into the chunks the other end receives, so tests can
   * prove that framing survives any split. Defaults to delivering writes whole.
   */
  split?: (bytes: Uint8Array) => Uint8Array[];
}

/** Both ends of an in-memory cable: the host side for the client, the device side for a simulator. */
export interface MemoryLink {
  host: MemoryTransport;
  device: MemoryTransport;
  /** Pulls the cable: both ends see the device go away. */
  unplug(): void;
}

/**
 * One end of an in-memory byte pipe. Delivery is asynchronous (setImmediate),
 * as with a real port, so nothing depends on a write being answered synchronously.
 */
export class MemoryTransport extends BaseTransport {
  readonly kind = 'memory' as const;
  readonly description: string;
  peer: MemoryTransport | null = null;
  readonly #split: ((bytes: Uint8Array) => Uint8Array[]) | undefined;
  #pending = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(description: string, split?: (bytes: Uint8Array) => Uint8Array[]) {
    super();
    this.description = description;
    this.#split = split;
  }

  protected doOpen(): Promise<void> {
    return Promise.resolve();
  }

  protected doWrite(bytes: Uint8Array): Promise<void> {
    const peer = this.peer;
    // A peer that is not open drops the bytes, like a cable to a switched-off device.
    const pieces = this.#split ? this.#split(bytes) : [bytes];
    const copy = pieces.map((piece) => Uint8Array.from(piece));
    this.#pending += 1;
    setImmediate(() => {
      if (peer && peer.state === 'open') {
        for (const piece of copy) peer.receive(piece);
      }
      this.#pending -= 1;
      if (this.#pending === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
    });
    return Promise.resolve();
  }

  protected doClose(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves when every byte written so far has been delivered. */
  drain(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  receive(bytes: Uint8Array): void {
    this.deliver(bytes);
  }

  disconnect(cause?: unknown): void {
    this.lost(cause);
  }
}

export function createMemoryLink(options: MemoryLinkOptions = {}): MemoryLink {
  const host = new MemoryTransport(options.hostName ?? 'memory:host', options.split);
  const device = new MemoryTransport(options.deviceName ?? 'memory:device', options.split);
  host.peer = device;
  device.peer = host;
  return {
    host,
    device,
    unplug() {
      host.disconnect(new Error('cable pulled'));
      device.disconnect(new Error('cable pulled'));
    },
  };
}

export type { Transport };
