import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, IPC_CHANNELS } from '../shared/ipc.js';
import type { IpcChannel } from '../shared/ipc.js';
import { FakeIpcMain } from './fakes.js';
import { IpcRegistry } from './ipc-registry.js';

const trusted = { isTrustedSender: (url: string) => url.startsWith('fleetline://app/') };

describe('IPC registry', () => {
  it('throws when a channel is registered twice', () => {
    const registry = new IpcRegistry(new FakeIpcMain(), trusted);
    registry.handle('settings:get', () => DEFAULT_SETTINGS);
    expect(() => registry.handle('settings:get', () => DEFAULT_SETTINGS)).toThrow(
      'IPC channel "settings:get" is already registered',
    );
  });

  it('refuses a channel that is not in the contract', () => {
    const registry = new IpcRegistry(new FakeIpcMain(), trusted);
    expect(() =>
      registry.handle('shell:exec' as IpcChannel, () => {
        throw new Error('never called');
      }),
    ).toThrow(/not in the contract/);
  });

  it('finds channels without a handler at start-up', () => {
    const registry = new IpcRegistry(new FakeIpcMain(), trusted);
    registry.handle('app:info', () => ({
      version: '1',
      platform: 'linux',
      electron: '40',
      secureStorage: true,
    }));
    expect(() => registry.assertComplete()).toThrow(/settings:get/);
  });

  it('validates requests and answers errors as data, naming the field', async () => {
    const ipc = new FakeIpcMain();
    const registry = new IpcRegistry(ipc, trusted);
    let received: unknown;
    registry.handle('settings:update', (patch) => {
      received = patch;
      return { ...DEFAULT_SETTINGS, ...patch };
    });
    const refused = (await ipc.invoke('settings:update', { serverUrl: 'ftp://nope' })) as {
      ok: boolean;
      error: { type: string; message: string };
    };
    expect(refused.ok).toBe(false);
    expect(refused.error.type).toBe('invalid-request');
    expect(refused.error.message).toMatch(/^settings:update: serverUrl: must be an http/);
    expect(await ipc.invoke('settings:update', { notifications: false, extra: 1 })).toMatchObject({
      ok: false,
      error: { type: 'invalid-request' },
    });
    expect(received).toBeUndefined();
    expect(await ipc.invoke('settings:update', { notifications: false })).toEqual({
      ok: true,
      value: { ...DEFAULT_SETTINGS, notifications: false },
    });
    expect(received).toEqual({ notifications: false });
  });

  it('checks its own answers and hides handler failures behind a message', async () => {
    const ipc = new FakeIpcMain();
    const errors: string[] = [];
    const registry = new IpcRegistry(ipc, {
      ...trusted,
      onError: (channel) => errors.push(channel),
    });
    registry.handle('notification:show', () => 'yes' as unknown as boolean);
    registry.handle('session:load', () => {
      throw new Error('disk on fire');
    });
    expect(await ipc.invoke('notification:show', { title: 't', body: 'b' })).toMatchObject({
      ok: false,
      error: { type: 'invalid-response' },
    });
    const failed = await ipc.invoke('session:load', undefined);
    expect(failed).toEqual({
      ok: false,
      error: { type: 'failed', message: 'session:load failed: disk on fire' },
    });
    expect(JSON.stringify(failed)).not.toContain('at ');
    expect(errors).toEqual(['notification:show', 'session:load']);
  });

  it('refuses calls from pages that are not the console', async () => {
    const ipc = new FakeIpcMain();
    const registry = new IpcRegistry(ipc, trusted);
    registry.handle('settings:get', () => DEFAULT_SETTINGS);
    expect(await ipc.invoke('settings:get', undefined, 'https://evil.example/')).toMatchObject({
      ok: false,
      error: { type: 'invalid-request' },
    });
  });

  it('removes every handler on dispose', () => {
    const ipc = new FakeIpcMain();
    const registry = new IpcRegistry(ipc, trusted);
    registry.handle('settings:get', () => DEFAULT_SETTINGS);
    registry.dispose();
    expect(ipc.handlers.size).toBe(0);
    expect(registry.channels).toEqual([]);
  });

  it('declares every channel once with a request and a response schema', () => {
    for (const [name, contract] of Object.entries(IPC_CHANNELS)) {
      expect(name).toMatch(/^[a-z]+:[a-z]+$/);
      expect(typeof contract.request.safeParse).toBe('function');
      expect(typeof contract.response.safeParse).toBe('function');
    }
  });
});
