import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, IPC_CHANNELS, IpcError } from '../shared/ipc.js';
import type { DesktopBridge } from '../shared/ipc.js';
import { FakeIpcMain } from '../main/fakes.js';
import { registerIpcHandlers } from '../main/ipc-handlers.js';
import { IpcRegistry } from '../main/ipc-registry.js';
import { LocalStore } from '../main/local-store.js';

// The preload runs against a fake electron: its invoke goes to the real
// registry and handlers of the main process, over a fake ipcMain.
const wire = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  ipcMain: null as null | {
    invoke(channel: string, request: unknown, url?: string): Promise<unknown>;
  },
  senderUrl: 'fleetline://app/',
}));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => wire.exposed.set(key, api) },
  ipcRenderer: {
    invoke: (channel: string, request: unknown) => {
      if (!wire.ipcMain) throw new Error('main not wired');
      return wire.ipcMain.invoke(channel, request, wire.senderUrl);
    },
  },
}));

describe('the IPC contract, preload to main', () => {
  let dir: string;
  let store: LocalStore;
  let bridge: DesktopBridge;
  const notified: unknown[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-bridge-'));
    store = new LocalStore(path.join(dir, 's.sqlite'), {
      available: () => true,
      encrypt: (s) => Buffer.from(s).reverse(),
      decrypt: (b) => Buffer.from(b).reverse().toString(),
    });
    const ipcMain = new FakeIpcMain();
    const registry = new IpcRegistry(ipcMain, {
      isTrustedSender: (url) => url.startsWith('fleetline://app/'),
    });
    registerIpcHandlers(registry, {
      store,
      appInfo: () => ({
        version: '0.1.0',
        platform: 'linux',
        electron: '40.9.3',
        secureStorage: true,
      }),
      notify: (n) => {
        notified.push(n);
        return true;
      },
      saveFile: (r) => Promise.resolve({ saved: true, path: `/tmp/${r.suggestedName}` }),
      settingsChanged: () => {},
    });
    wire.ipcMain = ipcMain;
    await import('./index.js');
    bridge = wire.exposed.get('fleetline') as DesktopBridge;
  });
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exposes exactly the bridge, as window.fleetline', () => {
    expect([...wire.exposed.keys()]).toEqual(['fleetline']);
    expect(bridge.kind).toBe('desktop');
    expect(Object.keys(bridge).sort()).toEqual(
      [
        'kind',
        'appInfo',
        'getSettings',
        'updateSettings',
        'loadSession',
        'saveSession',
        'loadPicture',
        'savePicture',
        'showNotification',
        'saveFile',
      ].sort(),
    );
    // One bridge method per channel of the contract.
    expect(Object.keys(bridge).length - 1).toBe(Object.keys(IPC_CHANNELS).length);
  });

  it('round-trips every call through validation on both sides', async () => {
    expect(await bridge.appInfo()).toMatchObject({ electron: '40.9.3' });
    expect(await bridge.getSettings()).toEqual(DEFAULT_SETTINGS);
    expect((await bridge.updateSettings({ notifications: false })).notifications).toBe(false);
    const session = {
      serverUrl: 'http://x',
      token: 'fls_t',
      expiresAt: Date.now() + 60_000,
      user: { id: 1, email: 'a@b.c', name: 'A', role: 'dispatcher' as const, fleetIds: [] },
    };
    await bridge.saveSession(session);
    expect(await bridge.loadSession()).toEqual(session);
    await bridge.savePicture({
      serverUrl: 'http://x',
      userId: 1,
      savedAt: 2,
      receivedAt: 1,
      fleets: [],
      vehicles: [],
      events: [],
    });
    expect(await bridge.loadPicture('http://x')).toMatchObject({ receivedAt: 1 });
    expect(await bridge.showNotification({ title: 'Van 1: Overspeed', body: '70 km/h' })).toBe(
      true,
    );
    expect(notified).toHaveLength(1);
    expect(
      await bridge.saveFile({
        suggestedName: 'a.csv',
        content: 'x',
        filterName: 'CSV',
        extensions: ['csv'],
      }),
    ).toEqual({ saved: true, path: '/tmp/a.csv' });
  });

  it('turns refusals into typed errors in the renderer', async () => {
    await expect(
      bridge.saveFile({
        suggestedName: '../../etc/passwd',
        content: 'x',
        filterName: 'CSV',
        extensions: ['csv'],
      }),
    ).rejects.toThrow(/suggestedName: must be a plain file name/);
    await expect(
      bridge.saveFile({
        suggestedName: 'a/b.csv',
        content: 'x',
        filterName: 'CSV',
        extensions: ['csv'],
      }),
    ).rejects.toMatchObject({ name: 'IpcError', type: 'invalid-request' });
    wire.senderUrl = 'https://evil.example/';
    await expect(bridge.getSettings()).rejects.toBeInstanceOf(IpcError);
    wire.senderUrl = 'fleetline://app/';
  });
});
