import { z } from 'zod';

/** Where and how big the window was, and whether it was maximized or full screen. */
export const WindowStateSchema = z.object({
  /** The bounds of the window in its normal state (not maximized, not full screen). */
  bounds: z.object({
    x: z.number().int(),
    y: z.number().int(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  }),
  maximized: z.boolean(),
  fullScreen: z.boolean(),
});
export type WindowState = z.infer<typeof WindowStateSchema>;
export type Rect = WindowState['bounds'];

/** The first start: big enough for the map and both columns on a control-room screen. */
export const DEFAULT_WINDOW_SIZE = { width: 1600, height: 960 } as const;
export const MIN_WINDOW_SIZE = { width: 1024, height: 640 } as const;

/** Where the window opens. No x and y: Electron centres it on the primary display. */
export interface WindowPlacement {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
  fullScreen: boolean;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * Where the window opens, from what was saved and the displays there are
 * now (their work areas: without task bars and docks). The saved bounds go
 * to the display they overlap most, shrunk to fit it and moved fully onto
 * it; bounds on no display any more (a monitor unplugged since) keep their
 * size, shrunk to fit, centred on the primary display. Nothing saved: the
 * default size, centred.
 */
export function placeWindow(
  saved: WindowState | null,
  workAreas: readonly Rect[],
  primary: Rect,
): WindowPlacement {
  const fit = (size: { width: number; height: number }, area: Rect) => ({
    // Not below the window's minimum, unless the display itself is smaller.
    width: Math.round(clamp(size.width, Math.min(MIN_WINDOW_SIZE.width, area.width), area.width)),
    height: Math.round(
      clamp(size.height, Math.min(MIN_WINDOW_SIZE.height, area.height), area.height),
    ),
  });
  if (!saved) return { ...fit(DEFAULT_WINDOW_SIZE, primary), maximized: false, fullScreen: false };

  const { bounds } = saved;
  let best: Rect | null = null;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const shared = overlap(bounds, area);
    if (shared > bestOverlap) {
      best = area;
      bestOverlap = shared;
    }
  }
  const area = best ?? primary;
  const size = fit(bounds, area);
  const state = { maximized: saved.maximized, fullScreen: saved.fullScreen };
  if (!best) {
    return {
      x: Math.round(area.x + (area.width - size.width) / 2),
      y: Math.round(area.y + (area.height - size.height) / 2),
      ...size,
      ...state,
    };
  }
  return {
    x: clamp(bounds.x, area.x, area.x + area.width - size.width),
    y: clamp(bounds.y, area.y, area.y + area.height - size.height),
    ...size,
    ...state,
  };
}

/** What keeping the state needs of a window (Electron's BrowserWindow; a fake in unit tests). */
export interface TrackedWindow {
  on(event: 'resize', listener: () => void): unknown;
  on(event: 'move', listener: () => void): unknown;
  on(event: 'maximize', listener: () => void): unknown;
  on(event: 'unmaximize', listener: () => void): unknown;
  on(event: 'enter-full-screen', listener: () => void): unknown;
  on(event: 'leave-full-screen', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isFullScreen(): boolean;
}

/** Saves after the window has been still this long (resizing fires many events per second). */
export const WINDOW_STATE_SAVE_DELAY_MS = 500;

/**
 * Saves the window's bounds and state while it is moved and resized
 * (debounced) and once more as it closes, so the next start opens it where
 * it was.
 */
export function keepWindowState(
  window: TrackedWindow,
  save: (state: WindowState) => void,
  delayMs = WINDOW_STATE_SAVE_DELAY_MS,
): { flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const b = window.getNormalBounds();
    const state = {
      bounds: {
        x: Math.round(b.x),
        y: Math.round(b.y),
        width: Math.round(b.width),
        height: Math.round(b.height),
      },
      maximized: window.isMaximized(),
      fullScreen: window.isFullScreen(),
    };
    // A window that is closing while minimized on some systems reports no size: keep the last one.
    if (WindowStateSchema.safeParse(state).success) save(state);
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(flush, delayMs);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', later);
  window.on('unmaximize', later);
  window.on('enter-full-screen', later);
  window.on('leave-full-screen', later);
  window.on('close', flush);
  return { flush };
}
