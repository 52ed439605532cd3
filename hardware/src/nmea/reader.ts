import type { HardwareError } from '../errors.js';
import type { Transport } from '../transports/transport.js';
import { FixAssembler } from './assembler.js';
import type { GnssFix } from './fix.js';
import type { ParseOptions } from './parse.js';
import { NmeaStreamParser } from './stream.js';
import type { NmeaSentence } from './types.js';

/**
 * A GPS receiver behind a transport: bytes in, one fix per epoch out. Bad
 * lines are reported to onLineError and skipped; the stream never stops for them.
 */
export class GpsReader {
  readonly transport: Transport;
  readonly #parser: NmeaStreamParser;
  readonly #assembler = new FixAssembler();
  readonly #fixListeners = new Set<(fix: GnssFix) => void>();
  readonly #sentenceListeners = new Set<(sentence: NmeaSentence) => void>();
  readonly #errorListeners = new Set<(error: HardwareError, line: string) => void>();
  readonly #endListeners = new Set<(error: HardwareError | null) => void>();
  #unsubscribe: (() => void)[] = [];

  constructor(transport: Transport, options: ParseOptions = {}) {
    this.transport = transport;
    this.#parser = new NmeaStreamParser(options);
  }

  /** Starts listening (open the transport before or after: bytes are read once it is). */
  start(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#unsubscribe = [
      this.transport.onData((chunk) => this.push(chunk)),
      this.transport.onClose((error) => {
        const last = this.#assembler.flush();
        if (last) this.#emit(last);
        for (const listener of [...this.#endListeners]) listener(error);
      }),
    ];
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Feeds bytes directly (used by start(); handy for replaying a log). */
  push(chunk: Uint8Array | string): void {
    for (const item of this.#parser.push(chunk)) {
      if (!item.ok) {
        for (const listener of [...this.#errorListeners]) listener(item.error, item.line);
        continue;
      }
      for (const listener of [...this.#sentenceListeners]) listener(item.sentence);
      for (const fix of this.#assembler.push(item.sentence)) this.#emit(fix);
    }
  }

  onFix(listener: (fix: GnssFix) => void): () => void {
    this.#fixListeners.add(listener);
    return () => this.#fixListeners.delete(listener);
  }

  onSentence(listener: (sentence: NmeaSentence) => void): () => void {
    this.#sentenceListeners.add(listener);
    return () => this.#sentenceListeners.delete(listener);
  }

  onLineError(listener: (error: HardwareError, line: string) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Called when the transport ends: null after close(), DeviceGoneError if unplugged. */
  onEnd(listener: (error: HardwareError | null) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** Fixes as an async stream; ends with the transport, throwing if the device went away. */
  fixes(): AsyncIterableIterator<GnssFix> {
    const queue: GnssFix[] = [];
    let ended: { error: HardwareError | null } | null = null;
    let wake: (() => void) | null = null;
    const offFix = this.onFix((fix) => {
      queue.push(fix);
      wake?.();
    });
    const offEnd = this.onEnd((error) => {
      ended = { error };
      wake?.();
    });
    const iterator: AsyncIterableIterator<GnssFix> = {
      next: async () => {
        for (;;) {
          const fix = queue.shift();
          if (fix) return { value: fix, done: false };
          if (ended) {
            offFix();
            offEnd();
            if (ended.error) throw ended.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      },
      return: () => {
        offFix();
        offEnd();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  #emit(fix: GnssFix): void {
    for (const listener of [...this.#fixListeners]) listener(fix);
  }
}
