import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from './logger.js';

export interface StatsSources {
  devices: () => number;
  consoles: () => number;
  /** Samples stored since start (monotonic). */
  storedSamples: () => number;
  pendingSamples: () => number;
  /** Database threads replaced since start (monotonic). */
  databaseThreadsReplaced: () => number;
}

/**
 * Logs, at a fixed interval, what an operator watches: event loop delay
 * (the first sign of overload), memory, connections, ingest rate and the
 * queue of samples waiting for their transaction.
 */
export function startRuntimeStats(
  logger: Logger,
  intervalMs: number,
  sources: StatsSources,
): () => void {
  if (intervalMs <= 0) return () => {};
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastStored = sources.storedSamples();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const stored = sources.storedSamples();
    const memory = process.memoryUsage();
    logger.info(
      {
        eventLoopDelayMs: {
          p50: Math.round(delay.percentile(50) / 1e6),
          p99: Math.round(delay.percentile(99) / 1e6),
          max: Math.round(delay.max / 1e6),
        },
        rssMb: Math.round(memory.rss / 2 ** 20),
        heapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
        devices: sources.devices(),
        consoles: sources.consoles(),
        storedPerS: Math.round((stored - lastStored) / ((now - lastAt) / 1000)),
        pendingSamples: sources.pendingSamples(),
        databaseThreadsReplaced: sources.databaseThreadsReplaced(),
      },
      'runtime stats',
    );
    delay.reset();
    lastStored = stored;
    lastAt = now;
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
