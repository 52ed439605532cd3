import fs from 'node:fs';
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
    windows: [] as { options: Record<string, unknown>; loaded: string[] }[],
    ipcMain: undefined as FakeIpcMain | undefined,
    appEvents: new Map<string, () => void>(),
    readyResolve: null as null | (() => void),
  };
});
vi.mock('electron', async () => {
  const { FakeIpcMain: Ipc } = await import('./fakes.js');
  fake.ipcMain = new Ipc();
  const ready = new Promise<void>((r) => (fake.readyResolve = r));
  class BrowserWindow {
    readonly record: { options: Record<string, unknown>; loaded: string[] };
    webContents = { setWindowOpenHandler: () => {}, on: () => {} };
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: [] };
      fake.windows.push(this.record);
    }
    loadURL(url: string) {
      this.record.loaded.push(url);
      return Promise.resolve();
    }
    on() {}
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
    Notification: Object.assign(function Notification() {}, { isSupported: () => false }),
    dialog: { showSaveDialog: () => Promise.resolve({ canceled: true }) },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s).reverse(),
      decryptString: (b: Buffer) => Buffer.from(b).reverse().toString(),
    },
  };
});

describe('the main process start-up (electron faked)', () => {
  afterAll(() => {
    fake.appEvents.get('will-quit')?.();
    fs.rmSync(fake.userData, { recursive: true, force: true });
  });

  it('registers the scheme before ready, then serves the renderer, wires every IPC channel and opens a locked-down window', async () => {
    fs.mkdirSync(fake.userData, { recursive: true });
    delete process.env.ELECTRON_RENDERER_URL;
    // A port nothing listens on: the server is unreachable, as in a control room at night.
    process.env.FLEETLINE_SERVER_URL = 'http://127.0.0.1:9';
    await import('./index.js');
    expect(fake.schemes).toEqual([
      {
        scheme: 'fleetline',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
    expect(fake.windows).toHaveLength(0);
    fake.readyResolve?.();
    const deadline = Date.now() + 10_000;
    while (fake.windows.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));

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
      value: { serverUrl: 'http://127.0.0.1:9' },
    });
    expect(await ipcMain.invoke('settings:get', undefined, 'https://evil.example/')).toMatchObject({
      ok: false,
    });

    const page = await fake.protocolHandlers.get('fleetline')?.(new Request('fleetline://app/'));
    expect(page?.status).toBe(200);
    expect(page?.headers.get('content-security-policy')).toContain(
      "connect-src 'self' http://127.0.0.1:9 ws://127.0.0.1:9",
    );
    expect(fs.existsSync(path.join(fake.userData, 'console.sqlite'))).toBe(true);
  });
});
