// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dayRange } from '../stores/history-store';
import { loadFleet, three } from '../testing/fixtures';
import { json, render, testServices } from '../testing/render';
import { SidePanel } from './SidePanel';

afterEach(() => {
  vi.useRealTimers();
});

/** Lets timers and promises run inside act, `ms` of fake time on. */
const advance = (ms: number) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

describe('side panel', () => {
  it("moves the fleet's event log on to the new day at local midnight", async () => {
    const midnight = new Date(2026, 2, 14, 0, 0, 0).getTime();
    vi.useFakeTimers({ now: midnight - 10_000 });
    const asked: { from: number; to: number }[] = [];
    const services = testServices((url) => {
      const q = new URL(url, 'http://x').searchParams;
      asked.push({ from: Number(q.get('from')), to: Number(q.get('to')) });
      return json(200, { events: [] });
    });
    loadFleet(services, three());
    const view = await render(services, <SidePanel />);
    await advance(0);
    expect(asked.at(-1)).toEqual({ from: dayRange('2026-03-13').from, to: midnight });

    await advance(15_000);
    // The new day's stored events were asked for, and its live events are shown.
    expect(asked.at(-1)).toEqual(dayRange('2026-03-14'));
    await act(async () => {
      services.stores.events.getState().add([
        {
          id: 7,
          vehicleId: 1,
          type: 'ignition_on',
          t: Date.now(),
          recordedAt: Date.now(),
          late: false,
          data: {},
        },
      ]);
      await vi.advanceTimersByTimeAsync(0);
    });
    expect(view.container.querySelector('[data-event-id="7"]')).not.toBeNull();
  });
});
