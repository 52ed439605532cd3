import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNELS, IpcError, IpcReplySchema } from '../shared/ipc.js';
import type { DesktopBridge, IpcChannel, IpcRequest, IpcResponse } from '../shared/ipc.js';

/**
 * The only door from the sandboxed renderer to the main process. Each call
 * names a channel of the contract; the answer is checked against the
 * channel's schema before the renderer sees it.
 */
async function invoke<C extends IpcChannel>(
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcResponse<C>> {
  const reply = IpcReplySchema.safeParse(await ipcRenderer.invoke(channel, request));
  if (!reply.success) throw new IpcError('invalid-response', `${channel}: malformed reply`);
  if (!reply.data.ok) throw new IpcError(reply.data.error.type, reply.data.error.message);
  const value = IPC_CHANNELS[channel].response.safeParse(reply.data.value);
  if (!value.success) throw new IpcError('invalid-response', `${channel}: ${value.error.message}`);
  return value.data as IpcResponse<C>;
}

const bridge = {
  kind: 'desktop',
  appInfo: () => invoke('app:info', undefined),
  getSettings: () => invoke('settings:get', undefined),
  updateSettings: (patch) => invoke('settings:update', patch),
  loadSession: () => invoke('session:load', undefined),
  saveSession: async (session) => {
    await invoke('session:save', session);
  },
  loadPicture: (serverUrl) => invoke('picture:load', serverUrl),
  savePicture: async (picture) => {
    await invoke('picture:save', picture);
  },
  showNotification: (notification) => invoke('notification:show', notification),
  saveFile: (request) => invoke('file:save', request),
} as const satisfies DesktopBridge;

contextBridge.exposeInMainWorld('fleetline', bridge);
