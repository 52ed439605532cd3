import { afterEach, describe, expect, it, vi } from 'vitest';
import { processIo } from './io.js';

// Only the listeners this test adds are removed: the test runner may have its own.
const before = {
  SIGINT: new Set(process.listeners('SIGINT')),
  SIGTERM: new Set(process.listeners('SIGTERM')),
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].has(listener)) process.off(signal, listener);
    }
  }
});

describe('stopping on signals', () => {
  it('takes signals within 2 s of the first as the same request, and a later one as "now"', async () => {
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stopped = processIo().stopSignal();
    process.emit('SIGINT', 'SIGINT');
    expect(await stopped).toBe('SIGINT');
    // Ctrl-C under npm: the group's SIGINT, then npm's own, a few milliseconds apart.
    now += 30;
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).not.toHaveBeenCalled();
    // Someone presses Ctrl-C again while the stop drags on.
    now += 2500;
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });
});
