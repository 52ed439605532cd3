/** The BrowserWindow options and the navigation rules of the console's window. */
import { DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE } from './window-state.js';
import type { TrackedWindow, WindowPlacement } from './window-state.js';

export interface WindowLike extends TrackedWindow {
  loadURL(url: string): Promise<void>;
  on(event: 'closed', listener: () => void): unknown;
  on(event: 'resize', listener: () => void): unknown;
  on(event: 'move', listener: () => void): unknown;
  on(event: 'maximize', listener: () => void): unknown;
  on(event: 'unmaximize', listener: () => void): unknown;
  on(event: 'enter-full-screen', listener: () => void): unknown;
  on(event: 'leave-full-screen', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  focus(): void;
  isMinimized(): boolean;
  restore(): void;
  maximize(): void;
  setFullScreen(fullScreen: boolean): void;
  webContents: {
    reload(): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    on(
      event: 'will-navigate',
      listener: (event: { preventDefault(): void }, url: string) => void,
    ): unknown;
  };
}

export type WindowFactory = (options: ReturnType<typeof mainWindowOptions>) => WindowLike;

/**
 * The renderer gets no Node.js: context isolation, no node integration, a
 * sandbox, web security on. It talks to the main process only through the
 * preload's typed bridge.
 */
export function mainWindowOptions(
  preloadPath: string,
  placement: Pick<WindowPlacement, 'x' | 'y' | 'width' | 'height'> = DEFAULT_WINDOW_SIZE,
) {
  return {
    ...(placement.x !== undefined && placement.y !== undefined
      ? { x: placement.x, y: placement.y }
      : {}),
    width: placement.width,
    height: placement.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Fleetline Console',
    // The console's dark background, so the window never flashes white in a dark control room.
    backgroundColor: '#0b1120',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  } as const;
}

/**
 * Opens the window on the renderer, where it was last (placement). Pop-ups
 * are refused; the window may navigate only within the renderer's own
 * origin (a link elsewhere would otherwise load a foreign page next to the
 * preload's bridge).
 */
export async function openMainWindow(
  create: WindowFactory,
  preloadPath: string,
  rendererUrl: string,
  placement?: WindowPlacement,
): Promise<WindowLike> {
  const window = create(mainWindowOptions(preloadPath, placement));
  const allowed = originOf(rendererUrl);
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event, url) => {
    if (originOf(url) !== allowed) event.preventDefault();
  });
  window.once('ready-to-show', () => {
    // Maximized over the restored normal bounds, so un-maximizing returns to them.
    if (placement?.maximized) window.maximize();
    if (placement?.fullScreen) window.setFullScreen(true);
    window.show();
  });
  await window.loadURL(rendererUrl);
  return window;
}

/**
 * scheme://host[:port] of a URL. Not URL.origin: Node's URL knows nothing of
 * Electron's privileged schemes and answers "null" for fleetline://app.
 */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : null;
  } catch {
    return null;
  }
}
