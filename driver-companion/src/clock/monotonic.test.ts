import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow } from './monotonic.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('monotonicNow', () => {
  it('reads like the wall clock and ignores a step of the system clock', async () => {
    const before = monotonicNow();
    expect(Math.abs(before - Date.now())).toBeLessThan(1000);
    // NTP steps the clock back an hour: schedules on monotonicNow keep going.
    const stepped = Date.now() - 3_600_000;
    vi.spyOn(Date, 'now').mockReturnValue(stepped);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = monotonicNow();
    expect(after).toBeGreaterThanOrEqual(before + 15);
    expect(after - before).toBeLessThan(1000);
  });
});
