import type {
  AppInfo,
  NotificationRequest,
  SaveFileRequest,
  SaveFileResult,
  Settings,
} from '../shared/ipc.js';
import type { IpcRegistry } from './ipc-registry.js';
import type { LocalStore } from './local-store.js';

export interface MainServices {
  store: LocalStore;
  appInfo: () => AppInfo;
  notify: (request: NotificationRequest) => boolean;
  saveFile: (request: SaveFileRequest) => Promise<SaveFileResult>;
  /** The server URL or the map settings may have changed: the CSP follows. */
  settingsChanged: (settings: Settings) => void;
}

/** Every channel of the contract, wired to the main process's services. */
export function registerIpcHandlers(registry: IpcRegistry, services: MainServices): void {
  const { store } = services;
  registry.handle('app:info', () => services.appInfo());
  registry.handle('settings:get', () => store.getSettings());
  registry.handle('settings:update', (patch) => {
    const settings = store.updateSettings(patch);
    services.settingsChanged(settings);
    return settings;
  });
  registry.handle('session:load', () => store.loadSession());
  registry.handle('session:save', (session) => {
    store.saveSession(session);
    return null;
  });
  registry.handle('picture:load', (serverUrl) => store.loadPicture(serverUrl));
  registry.handle('picture:save', (picture) => {
    store.savePicture(picture);
    return null;
  });
  registry.handle('notification:show', (request) => services.notify(request));
  registry.handle('file:save', (request) => services.saveFile(request));
  registry.assertComplete();
}
