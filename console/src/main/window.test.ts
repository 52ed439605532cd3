import { describe, expect, it, vi } from 'vitest';
import { desktopCsp, mapOrigins } from './csp.js';
import { saveFileWithDialog } from './file-save.js';
import { Notifier } from './notifications.js';
import type { NotificationLike } from './notifications.js';
import { mainWindowOptions, openMainWindow } from './window.js';
import type { WindowLike } from './window.js';

describe('the console window', () => {
  it('gives the renderer no Node.js: isolated, sandboxed, no node integration', () => {
    const { webPreferences } = mainWindowOptions('/app/preload/index.cjs');
    expect(webPreferences).toMatchObject({
      preload: '/app/preload/index.cjs',
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    });
  });

  it('refuses pop-ups and navigation away from the renderer', async () => {
    const loadURL = vi.fn(() => Promise.resolve());
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    let navigate: ((e: { preventDefault(): void }, url: string) => void) | undefined;
    const window: WindowLike = {
      loadURL,
      on: vi.fn(),
      once: vi.fn(),
      show: vi.fn(),
      focus: vi.fn(),
      isMinimized: () => false,
      restore: vi.fn(),
      maximize: vi.fn(),
      setFullScreen: vi.fn(),
      getNormalBounds: () => ({ x: 0, y: 0, width: 1600, height: 960 }),
      isMaximized: () => false,
      isFullScreen: () => false,
      webContents: {
        reload: vi.fn(),
        setWindowOpenHandler: (h) => {
          openHandler = h;
        },
        on: (_event, listener) => {
          navigate = listener;
        },
      },
    };
    await openMainWindow(() => window, '/p.cjs', 'fleetline://app/');
    expect(loadURL).toHaveBeenCalledWith('fleetline://app/');
    expect(openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    const away = { preventDefault: vi.fn() };
    navigate?.(away, 'https://evil.example/');
    expect(away.preventDefault).toHaveBeenCalled();
    const inside = { preventDefault: vi.fn() };
    navigate?.(inside, 'fleetline://app/vehicles/3');
    expect(inside.preventDefault).not.toHaveBeenCalled();
    const otherHost = { preventDefault: vi.fn() };
    navigate?.(otherHost, 'fleetline://evil/');
    expect(otherHost.preventDefault).toHaveBeenCalled();
  });

  it('opens where it was last, maximized again if it was, before it is shown', async () => {
    const calls: string[] = [];
    let options: ReturnType<typeof mainWindowOptions> | undefined;
    let readyToShow: (() => void) | undefined;
    const window: WindowLike = {
      loadURL: () => Promise.resolve(),
      on: vi.fn(),
      once: (_event, listener) => {
        readyToShow = listener;
      },
      show: () => calls.push('show'),
      focus: vi.fn(),
      isMinimized: () => false,
      restore: vi.fn(),
      maximize: () => calls.push('maximize'),
      setFullScreen: (on) => calls.push(`fullScreen:${on}`),
      getNormalBounds: () => ({ x: 0, y: 0, width: 1, height: 1 }),
      isMaximized: () => false,
      isFullScreen: () => false,
      webContents: { reload: vi.fn(), setWindowOpenHandler: vi.fn(), on: vi.fn() },
    };
    await openMainWindow(
      (o) => {
        options = o;
        return window;
      },
      '/p.cjs',
      'fleetline://app/',
      { x: 1920, y: 40, width: 1700, height: 1000, maximized: true, fullScreen: false },
    );
    expect(options).toMatchObject({ x: 1920, y: 40, width: 1700, height: 1000, minWidth: 1024 });
    expect(calls).toEqual([]);
    readyToShow?.();
    expect(calls).toEqual(['maximize', 'show']);
    // Nothing known: the default size, and Electron centres it.
    const fresh = mainWindowOptions('/p.cjs');
    expect(fresh).toMatchObject({ width: 1600, height: 960 });
    expect('x' in fresh).toBe(false);
  });

  it('allows the configured server and map provider only, in the CSP', () => {
    const csp = desktopCsp('https://fleet.example:8443', {
      mapboxToken: 'pk.x',
      styleUrl: 'https://tiles.example.org/style.json',
    });
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(
      "connect-src 'self' https://fleet.example:8443 wss://fleet.example:8443 https://api.mapbox.com https://events.mapbox.com https://tiles.example.org",
    );
    expect(csp).toContain("object-src 'none'");
    expect(desktopCsp('http://127.0.0.1:8080', null)).toContain(
      "connect-src 'self' http://127.0.0.1:8080 ws://127.0.0.1:8080;",
    );
    expect(mapOrigins({ mapboxToken: null, styleUrl: 'not a url' })).toEqual([]);
  });
});

/** Notifications that record being closed and keep their listeners for the test to fire. */
function notificationApi() {
  const shown: (NotificationLike & { closed: boolean; fire(event: string): void })[] = [];
  const api = {
    isSupported: () => true,
    create: () => {
      const listeners = new Map<string, () => void>();
      const n = {
        closed: false,
        show: vi.fn(),
        close() {
          n.closed = true;
        },
        on(event: 'click' | 'close', listener: () => void) {
          listeners.set(event, listener);
        },
        fire: (event: string) => listeners.get(event)?.(),
      };
      shown.push(n);
      return n;
    },
  };
  return { api, shown };
}

describe('notifications', () => {
  it('replaces an older notification with the same tag and focuses the window on click', () => {
    const { api, shown } = notificationApi();
    const focus = vi.fn();
    const notifier = new Notifier(api, focus);
    expect(notifier.show({ title: 'Van 1: Overspeed', body: '70 km/h', tag: '1:overspeed' })).toBe(
      true,
    );
    notifier.show({ title: 'Van 1: Overspeed', body: '75 km/h', tag: '1:overspeed' });
    notifier.show({ title: 'Van 2: Offline', body: '', tag: '2:device_offline' });
    expect(shown.map((n) => n.closed)).toEqual([true, false, false]);
    shown[2]?.fire('click');
    expect(focus).toHaveBeenCalled();
    expect(
      new Notifier({ isSupported: () => false, create: api.create }, focus).show({
        title: 'x',
        body: '',
      }),
    ).toBe(false);
  });

  it('remembers a bounded number of tags, forgetting the oldest and the dismissed', () => {
    const { api, shown } = notificationApi();
    const notifier = new Notifier(api, () => {}, 3);
    for (const vehicle of [1, 2, 3, 4])
      notifier.show({ title: `Van ${vehicle}`, body: '', tag: `${vehicle}:overspeed` });
    // Vehicle 2's is still held: a new one replaces it.
    notifier.show({ title: 'Van 2', body: '', tag: '2:overspeed' });
    expect(shown[1]?.closed).toBe(true);
    // Vehicle 1's was forgotten when vehicle 4's came: a new one for 1 closes nothing.
    notifier.show({ title: 'Van 1', body: '', tag: '1:overspeed' });
    expect(shown[0]?.closed).toBe(false);
    // The dispatcher dismissed vehicle 4's: forgotten at once, not closed again later.
    shown[3]?.fire('close');
    notifier.show({ title: 'Van 4', body: '', tag: '4:overspeed' });
    expect(shown[3]?.closed).toBe(false);
  });
});

describe('file export', () => {
  it('writes where the dispatcher chose, or nothing when cancelled', async () => {
    const written: [string, string][] = [];
    const write = (file: string, content: string) => {
      written.push([file, content]);
      return Promise.resolve();
    };
    const request = {
      suggestedName: 'trip.csv',
      content: 'a,b\r\n',
      filterName: 'CSV files',
      extensions: ['csv'],
    };
    const chosen = await saveFileWithDialog(
      {
        showSaveDialog: (o) => {
          expect(o.defaultPath).toBe('/home/d/Downloads/trip.csv');
          expect(o.filters).toEqual([{ name: 'CSV files', extensions: ['csv'] }]);
          return Promise.resolve({ canceled: false, filePath: '/tmp/x.csv' });
        },
      },
      write,
      '/home/d/Downloads',
      request,
    );
    expect(chosen).toEqual({ saved: true, path: '/tmp/x.csv' });
    expect(written).toEqual([['/tmp/x.csv', 'a,b\r\n']]);
    const cancelled = await saveFileWithDialog(
      { showSaveDialog: () => Promise.resolve({ canceled: true }) },
      write,
      '/d',
      request,
    );
    expect(cancelled).toEqual({ saved: false, path: null });
    expect(written).toHaveLength(1);
  });
});
