import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_WINDOW_SIZE, keepWindowState, placeWindow } from './window-state.js';
import type { Rect, TrackedWindow, WindowState } from './window-state.js';

/** A laptop with a 1920×1080 panel (task bar at the bottom) and a 2560×1440 monitor to its right. */
const LAPTOP: Rect = { x: 0, y: 0, width: 1920, height: 1040 };
const MONITOR: Rect = { x: 1920, y: 0, width: 2560, height: 1400 };

const saved = (bounds: Rect, extra: Partial<WindowState> = {}): WindowState => ({
  bounds,
  maximized: false,
  fullScreen: false,
  ...extra,
});

describe('where the window opens', () => {
  it('opens at the default size, centred, the first time', () => {
    expect(placeWindow(null, [LAPTOP], LAPTOP)).toEqual({
      ...DEFAULT_WINDOW_SIZE,
      maximized: false,
      fullScreen: false,
    });
    // A small screen: the default size shrinks to it.
    const small = { x: 0, y: 0, width: 1366, height: 728 };
    expect(placeWindow(null, [small], small)).toMatchObject({ width: 1366, height: 728 });
  });

  it('opens where it was, on the display it was on', () => {
    const onMonitor = { x: 2100, y: 120, width: 1800, height: 1100 };
    expect(placeWindow(saved(onMonitor), [LAPTOP, MONITOR], LAPTOP)).toEqual({
      ...onMonitor,
      maximized: false,
      fullScreen: false,
    });
  });

  it('moves a window that hung off the edge fully onto its display', () => {
    const hanging = { x: 1500, y: -40, width: 1100, height: 800 };
    // Across both (420 px of its width on the laptop, 680 on the monitor): the monitor wins.
    expect(placeWindow(saved(hanging), [LAPTOP, MONITOR], LAPTOP)).toMatchObject({
      x: 1920,
      y: 0,
      width: 1100,
      height: 800,
    });
    const left = { x: -300, y: 500, width: 1200, height: 800 };
    expect(placeWindow(saved(left), [LAPTOP, MONITOR], LAPTOP)).toMatchObject({
      x: 0,
      y: 240,
      width: 1200,
      height: 800,
    });
  });

  it('brings a window from a monitor unplugged since back to the primary display, shrunk to fit and centred', () => {
    const onMonitor = saved({ x: 2100, y: 120, width: 2400, height: 1300 }, { maximized: true });
    expect(placeWindow(onMonitor, [LAPTOP], LAPTOP)).toEqual({
      x: 0,
      y: 0,
      width: 1920,
      height: 1040,
      maximized: true,
      fullScreen: false,
    });
    const modest = saved({ x: 3000, y: 200, width: 1200, height: 800 });
    expect(placeWindow(modest, [LAPTOP], LAPTOP)).toMatchObject({
      x: 360,
      y: 120,
      width: 1200,
      height: 800,
    });
  });

  it('keeps the minimum size unless the display is smaller, and keeps full screen', () => {
    const tiny = saved({ x: 10, y: 10, width: 300, height: 200 }, { fullScreen: true });
    expect(placeWindow(tiny, [LAPTOP], LAPTOP)).toMatchObject({
      width: 1024,
      height: 640,
      fullScreen: true,
    });
    const netbook = { x: 0, y: 0, width: 1000, height: 560 };
    expect(placeWindow(tiny, [netbook], netbook)).toMatchObject({
      x: 0,
      y: 0,
      width: 1000,
      height: 560,
    });
  });
});

/** A window whose events the test fires by hand. */
function fakeWindow(bounds: Rect) {
  const listeners = new Map<string, (() => void)[]>();
  const state = { bounds, maximized: false, fullScreen: false };
  const window: TrackedWindow = {
    on: (event: string, listener: () => void) =>
      listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    getNormalBounds: () => state.bounds,
    isMaximized: () => state.maximized,
    isFullScreen: () => state.fullScreen,
  };
  const fire = (event: string) => listeners.get(event)?.forEach((l) => l());
  return { window, state, fire };
}

describe('keeping the window state', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('saves once the window is still, not for every resize event', () => {
    vi.useFakeTimers();
    const saves: WindowState[] = [];
    const { window, state, fire } = fakeWindow({ x: 10, y: 20, width: 1200, height: 800 });
    keepWindowState(window, (s) => saves.push(s), 500);
    for (let w = 1200; w <= 1300; w += 10) {
      state.bounds = { ...state.bounds, width: w };
      fire('resize');
      vi.advanceTimersByTime(100);
    }
    expect(saves).toHaveLength(0);
    vi.advanceTimersByTime(500);
    expect(saves).toEqual([
      { bounds: { x: 10, y: 20, width: 1300, height: 800 }, maximized: false, fullScreen: false },
    ]);
    state.bounds = { ...state.bounds, x: 400 };
    fire('move');
    vi.advanceTimersByTime(500);
    expect(saves.at(-1)?.bounds.x).toBe(400);
  });

  it('saves at once on close, with the normal bounds under a maximized window', () => {
    vi.useFakeTimers();
    const saves: WindowState[] = [];
    const { window, state, fire } = fakeWindow({ x: 100, y: 50, width: 1400, height: 900 });
    keepWindowState(window, (s) => saves.push(s), 500);
    state.maximized = true;
    fire('maximize');
    fire('close');
    expect(saves).toEqual([
      { bounds: { x: 100, y: 50, width: 1400, height: 900 }, maximized: true, fullScreen: false },
    ]);
    // The pending save was the same one: not written twice.
    vi.advanceTimersByTime(1000);
    expect(saves).toHaveLength(1);
  });

  it('does not save bounds without a size', () => {
    const saves: WindowState[] = [];
    const { window, fire } = fakeWindow({ x: 0, y: 0, width: 0, height: 0 });
    keepWindowState(window, (s) => saves.push(s));
    fire('close');
    expect(saves).toEqual([]);
  });
});
