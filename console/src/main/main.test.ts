import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../shared/ipc.js';
import type { FakeIpcMain } from './fakes.js';

// Electron, faked: the main process's start-up runs for real against it.
const fake = vi.hoisted(() => {
  const userData = `${process.env.TMPDIR ?? '/tmp'}/fleetline-main-${process.pid}-${Date.now()}`;
  return {
    userData,
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (r: Request) => Promise<Response> | Response>(),
    windows: [] as { options: Record<string, unknown>; loaded: string[]; reloads: number }[],
    ipcMain: undefined as FakeIpcMain | undefined,
    appEvents: new Map<string, () => void>(),
    readyResolve: null as null | (() => void),
    browserWindows: [] as { listeners: Map<string, (() => void)[]> }[],
  };
});
vi.mock('electron', async () => {
  const { FakeIpcMain: Ipc } = await import('./fakes.js');
  fake.ipcMain = new Ipc();
  const ready = new Promise<void>((r) => (fake.readyResolve = r));
  class BrowserWindow {
    readonly record: { options: Record<string, unknown>; loaded: string[]; reloads: number };
    webContents = {
      setWindowOpenHandler: () => {},
      on: () => {},
      reload: () => {
        this.record.reloads += 1;
      },
    };
    readonly listeners = new Map<string, (() => void)[]>();
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: [], reloads: 0 };
      fake.windows.push(this.record);
      fake.browserWindows.push(this);
    }
    getNormalBounds() {
      const o = this.record.options as { x?: number; y?: number; width: number; height: number };
      return { x: o.x ?? 0, y: o.y ?? 0, width: o.width, height: o.height };
    }
    isMaximized() {
      return false;
    }
    isFullScreen() {
      return false;
    }
    maximize() {}
    setFullScreen() {}
    loadURL(url: string) {
      this.record.loaded.push(url);
      return Promise.resolve();
    }
    on(event: string, listener: () => void) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    }
    once() {}
    show() {}
    focus() {}
    isMinimized() {
      return false;
    }
    restore() {}
  }
  return {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => true,
      whenReady: () => ready,
      on: (event: string, listener: () => void) => fake.appEvents.set(event, listener),
      quit: () => {},
      getPath: (name: string) => (name === 'userData' ? fake.userData : os.tmpdir()),
      getVersion: () => '0.1.0',
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => fake.schemes.push(...s),
      handle: (scheme: string, h: (r: Request) => Promise<Response>) =>
        fake.protocolHandlers.set(scheme, h),
    },
    ipcMain: fake.ipcMain,
    BrowserWindow,
    // Two displays side by side, as on a dispatcher's desk.
    screen: {
      getAllDisplays: () => [
        { workArea: { x: 0, y: 0, width: 1920, height: 1040 } },
        { workArea: { x: 1920, y: 0, width: 2560, height: 1400 } },
      ],
      getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }),
    },
    Notification: Object.assign(function Notification() {}, { isSupported: () => false }),
    dialog: { showSaveDialog: () => Promise.resolve({ canceled: true }) },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s).reverse(),
      decryptString: (b: Buffer) => Buffer.from(b).reverse().toString(),
    },
  };
});

/** A server that accepts connections and never answers: a firewall that drops, a hung proxy. */
async function silentServer() {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A Fleetline server as far as the console's main process cares: GET /api/config. */
async function configServer(map: { mapboxToken: string | null; styleUrl: string | null }) {
  const server = createServer((req, res) => {
    if (req.url === '/api/config') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ map, version: 'test' }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the main process start-up (electron faked)', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    fake.appEvents.get('will-quit')?.();
    fs.rmSync(fake.userData, { recursive: true, force: true });
    for (const close of closers) await close();
  });

  it('registers the scheme before ready, then serves the renderer, wires every IPC channel and opens a locked-down window without waiting for the server', async () => {
    fs.mkdirSync(fake.userData, { recursive: true });
    delete process.env.ELECTRON_RENDERER_URL;
    // A server that never answers: the window must not wait for its map settings (3 s).
    const silent = await silentServer();
    closers.push(silent.close);
    process.env.FLEETLINE_SERVER_URL = silent.url;
    await import('./index.js');
    expect(fake.schemes).toEqual([
      {
        scheme: 'fleetline',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
    expect(fake.windows).toHaveLength(0);
    const readyAt = Date.now();
    fake.readyResolve?.();
    await until(() => fake.windows.length > 0, 'the window');
    expect(Date.now() - readyAt).toBeLessThan(1500);

    const [window] = fake.windows;
    expect(window?.loaded).toEqual(['fleetline://app/']);
    expect(window?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    });
    expect(String((window?.options.webPreferences as { preload: string }).preload)).toMatch(
      /preload[/\\]index\.cjs$/,
    );

    const ipcMain = fake.ipcMain as FakeIpcMain;
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.keys(IPC_CHANNELS).sort());
    expect(await ipcMain.invoke('settings:get', undefined)).toMatchObject({
      ok: true,
      value: { serverUrl: silent.url },
    });
    expect(await ipcMain.invoke('settings:get', undefined, 'https://evil.example/')).toMatchObject({
      ok: false,
    });

    const page = await fake.protocolHandlers.get('fleetline')?.(new Request('fleetline://app/'));
    expect(page?.status).toBe(200);
    const port = new URL(silent.url).port;
    expect(page?.headers.get('content-security-policy')).toContain(
      `connect-src 'self' http://127.0.0.1:${port} ws://127.0.0.1:${port};`,
    );
    expect(fs.existsSync(path.join(fake.userData, 'console.sqlite'))).toBe(true);
    // The first start: the default size, centred by Electron.
    expect(window?.options).toMatchObject({ width: 1600, height: 960 });
    expect(window?.options.x).toBeUndefined();
  });

  it('saves the window state as the window closes, for the next start', async () => {
    const { LocalStore } = await import('./local-store.js');
    const [browserWindow] = fake.browserWindows;
    for (const listener of browserWindow?.listeners.get('close') ?? []) listener();
    // A second connection to the same file, as the next start would read it.
    const next = new LocalStore(path.join(fake.userData, 'console.sqlite'), {
      available: () => false,
      encrypt: () => Buffer.alloc(0),
      decrypt: () => '',
    });
    expect(next.getWindowState()).toEqual({
      bounds: { x: 0, y: 0, width: 1600, height: 960 },
      maximized: false,
      fullScreen: false,
    });
    next.close();
  });

  it('reloads the window with a new CSP when the sign-in screen switches server', async () => {
    const next = await configServer({ mapboxToken: 'pk.test', styleUrl: null });
    closers.push(next.close);
    const [window] = fake.windows;
    const ipcMain = fake.ipcMain as FakeIpcMain;
    expect(window?.reloads).toBe(0);
    // A layout change is not a server change: no reload.
    await ipcMain.invoke('settings:update', { notifications: false });
    expect(await ipcMain.invoke('settings:update', { serverUrl: next.url })).toMatchObject({
      ok: true,
      value: { serverUrl: next.url },
    });
    await until(() => window?.reloads === 1, 'the reload');
    const page = await fake.protocolHandlers.get('fleetline')?.(new Request('fleetline://app/'));
    const csp = page?.headers.get('content-security-policy') ?? '';
    const host = new URL(next.url).host;
    expect(csp).toContain(
      `connect-src 'self' http://${host} ws://${host} https://api.mapbox.com https://events.mapbox.com;`,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(window?.reloads).toBe(1);
  });
});
