import type { Transport } from '../transports/transport.js';

/**
 * Writes bytes no faster than a serial line would carry them. Without a
 * rate it writes straight through. Writes keep their order.
 */
export class PacedWriter {
  readonly #transport: Transport;
  readonly #bytesPerSecond: number | null;
  readonly #queue: Uint8Array[] = [];
  #timer: NodeJS.Timeout | null = null;
  #lineFreeAt = 0;
  #idleWaiters: (() => void)[] = [];
  #cancelled = false;

  constructor(transport: Transport, bytesPerSecond: number | null) {
    this.#transport = transport;
    this.#bytesPerSecond = bytesPerSecond && bytesPerSecond > 0 ? bytesPerSecond : null;
  }

  write(bytes: Uint8Array): void {
    if (this.#cancelled || bytes.length === 0) return;
    if (!this.#bytesPerSecond) {
      this.#transport.write(bytes).catch(() => undefined);
      return;
    }
    this.#queue.push(bytes);
    this.#pump();
  }

  /** Resolves when everything queued so far has been handed to the transport. */
  flushed(): Promise<void> {
    if (this.#queue.length === 0 && !this.#timer) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  cancel(): void {
    this.#cancelled = true;
    this.#queue.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  #pump(): void {
    if (this.#timer || this.#cancelled) return;
    const rate = this.#bytesPerSecond ?? 1;
    const chunk = this.#queue.shift();
    if (!chunk) {
      for (const waiter of this.#idleWaiters.splice(0)) waiter();
      return;
    }
    const now = performance.now();
    const start = Math.max(now, this.#lineFreeAt);
    // Each chunk leaves when the line is free and arrives after its byte time.
    this.#lineFreeAt = start + (chunk.length / rate) * 1000;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#transport.write(chunk).catch(() => undefined);
        this.#pump();
      },
      Math.max(0, this.#lineFreeAt - now),
    );
  }
}
