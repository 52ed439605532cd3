/**
 * Exponential back-off with "equal jitter": half of each delay is fixed and
 * half random. Fully random delays may be near zero, which turns a fleet of
 * devices that lost the server at the same moment into a tight retry loop;
 * fixed delays make them all come back in the same instant. Half and half
 * spreads them out and still grows.
 */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: { minMs: number; maxMs: number; random?: () => number }) {
    this.#minMs = Math.max(1, options.minMs);
    this.#maxMs = Math.max(this.#minMs, options.maxMs);
    this.#random = options.random ?? Math.random;
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(ceiling / 2 + this.#random() * (ceiling / 2));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** A delay between lowMs and highMs, for one-off waits that must not synchronise a fleet. */
export function jitter(lowMs: number, highMs: number, random: () => number = Math.random): number {
  return Math.round(lowMs + random() * (highMs - lowMs));
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
