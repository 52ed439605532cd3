import type { HardwareError } from '../errors.js';

export type TransportKind = 'serial' | 'tcp' | 'ble' | 'memory';

export type TransportState = 'idle' | 'opening' | 'open' | 'closing' | 'closed';

/**
 * The one byte pipe every device sits behind. Protocol code (ELM327, NMEA,
 * simulators) only ever sees this interface, never serialport, net or noble.
 */
export interface Transport {
  readonly kind: TransportKind;
  /** Human-readable identity for logs: a path, host:port or peripheral id. */
  readonly description: string;
  readonly state: TransportState;
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the OS (or radio); rejects with a HardwareError. */
  write(data: Uint8Array | string): Promise<void>;
  /** Listen to incoming bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /**
   * Called once when the transport ends: `null` after close(), a
   * DeviceGoneError when the device went away.
   */
  onClose(listener: (error: HardwareError | null) => void): () => void;
  /** Incoming bytes as an async stream; ends on close, throws DeviceGoneError if the device went away. */
  chunks(): AsyncIterableIterator<Uint8Array>;
  close(): Promise<void>;
}
