import {
  DeviceGoneError,
  HardwareError,
  TransportClosedError,
  TransportNotOpenError,
  TransportOpenError,
  WriteError,
} from '../errors.js';
import type { Transport, TransportKind, TransportState } from './transport.js';

export function toBytes(data: Uint8Array | string): Uint8Array {
  // latin1 keeps one byte per char: ELM327 and NMEA are 7-bit ASCII on the wire.
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

/**
 * State, listeners and the async stream shared by every transport; a concrete
 * transport only moves bytes (doOpen, doWrite, doClose) and reports what it
 * received (deliver) or that its device vanished (lost).
 */
export abstract class BaseTransport implements Transport {
  abstract readonly kind: TransportKind;
  abstract readonly description: string;
  #state: TransportState = 'idle';
  readonly #dataListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #closeListeners = new Set<(error: HardwareError | null) => void>();

  get state(): TransportState {
    return this.#state;
  }

  protected abstract doOpen(): Promise<void>;
  protected abstract doWrite(bytes: Uint8Array): Promise<void>;
  protected abstract doClose(): Promise<void>;

  async open(): Promise<void> {
    if (this.#state === 'open') return;
    if (this.#state !== 'idle' && this.#state !== 'closed') {
      throw new TransportOpenError(`${this.description} is ${this.#state}`);
    }
    this.#state = 'opening';
    try {
      await this.doOpen();
    } catch (error) {
      this.#state = 'closed';
      if (error instanceof HardwareError) throw error;
      throw new TransportOpenError(`cannot open ${this.description}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    // doOpen may have seen the device vanish already.
    if (this.#state === 'opening') this.#state = 'open';
  }

  async write(data: Uint8Array | string): Promise<void> {
    if (this.#state !== 'open') {
      if (this.#state === 'closed') throw new TransportClosedError(this.description);
      throw new TransportNotOpenError(this.description);
    }
    try {
      await this.doWrite(toBytes(data));
    } catch (error) {
      if (error instanceof HardwareError) throw error;
      throw new WriteError(this.description, { cause: error });
    }
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onClose(listener: (error: HardwareError | null) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  chunks(): AsyncIterableIterator<Uint8Array> {
    const queue: Uint8Array[] = [];
    let ended: { error: HardwareError | null } | null =
      this.#state === 'closed' ? { error: null } : null;
    let wake: (() => void) | null = null;
    const offData = this.onData((chunk) => {
      queue.push(chunk);
      wake?.();
    });
    const offClose = this.onClose((error) => {
      ended = { error };
      wake?.();
    });
    const cleanup = (): void => {
      offData();
      offClose();
    };
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        for (;;) {
          const chunk = queue.shift();
          if (chunk) return { value: chunk, done: false };
          if (ended) {
            cleanup();
            if (ended.error) throw ended.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      },
      return: (): Promise<IteratorResult<Uint8Array>> => {
        cleanup();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'idle') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    try {
      await this.doClose();
    } finally {
      this.finish(null);
    }
  }

  protected deliver(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    for (const listener of [...this.#dataListeners]) listener(chunk);
  }

  /** The device vanished under us: unplugged, reset, out of range. */
  protected lost(cause?: unknown): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    this.finish(new DeviceGoneError(this.description, { cause }));
  }

  private finish(error: HardwareError | null): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const listener of [...this.#closeListeners]) listener(error);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
