/** The BrowserWindow options and the navigation rules of the console's window. */

export interface WindowLike {
  loadURL(url: string): Promise<void>;
  on(event: 'closed', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  focus(): void;
  isMinimized(): boolean;
  restore(): void;
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
export function mainWindowOptions(preloadPath: string) {
  return {
    width: 1600,
    height: 960,
    minWidth: 1024,
    minHeight: 640,
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
 * Opens the window on the renderer. Pop-ups are refused; the window may
 * navigate only within the renderer's own origin (a link elsewhere would
 * otherwise load a foreign page next to the preload's bridge).
 */
export async function openMainWindow(
  create: WindowFactory,
  preloadPath: string,
  rendererUrl: string,
): Promise<WindowLike> {
  const window = create(mainWindowOptions(preloadPath));
  const allowed = originOf(rendererUrl);
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event, url) => {
    if (originOf(url) !== allowed) event.preventDefault();
  });
  window.once('ready-to-show', () => window.show());
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
