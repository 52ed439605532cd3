import { DEFAULT_SETTINGS, SettingsSchema } from '../../shared/ipc';
import type {
  DesktopBridge,
  LastPicture,
  NotificationRequest,
  Settings,
  SettingsPatch,
  StoredSession,
} from '../../shared/ipc';

declare global {
  interface Window {
    /** Present in the desktop app only (the preload's bridge). */
    fleetline?: DesktopBridge;
  }
}

export interface ExportFile {
  name: string;
  mime: string;
  content: string;
}

/**
 * Whether alarm notifications can be shown: the desktop's native ones always
 * can; in a browser, as the user allowed (`default`: not asked yet).
 */
export type NotificationAccess = 'granted' | 'default' | 'denied' | 'unsupported';

/**
 * What differs between the desktop app and a browser. The desktop has a
 * local store, native notifications and save dialogs; in a browser the same
 * calls degrade: settings in localStorage, no stored picture (the page comes
 * from the server anyway), the Notification API when allowed, and a download.
 */
export interface Platform {
  kind: 'desktop' | 'web';
  /** Where the API and the feed are: '' (same origin) for the web console. */
  serverUrl(): string;
  settings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;
  loadSession(): Promise<StoredSession | null>;
  saveSession(session: StoredSession | null): Promise<void>;
  loadPicture(): Promise<LastPicture | null>;
  savePicture(picture: Omit<LastPicture, 'serverUrl'>): Promise<void>;
  notify(request: NotificationRequest): Promise<boolean>;
  notificationAccess(): NotificationAccess;
  /** Asks the user where the browser still may (it prompts once); otherwise says what holds. */
  requestNotificationAccess(): Promise<NotificationAccess>;
  /** Resolves with where it went (a path on the desktop, the file name in a browser), or null if cancelled. */
  exportFile(file: ExportFile): Promise<string | null>;
}

export async function createPlatform(): Promise<Platform> {
  const bridge = window.fleetline;
  return bridge ? desktopPlatform(bridge, await bridge.getSettings()) : webPlatform(window);
}

function desktopPlatform(bridge: DesktopBridge, initial: Settings): Platform {
  let settings = initial;
  return {
    kind: 'desktop',
    serverUrl: () => settings.serverUrl.replace(/\/+$/, ''),
    settings: () => Promise.resolve(settings),
    async updateSettings(patch) {
      settings = await bridge.updateSettings(patch);
      return settings;
    },
    loadSession: () => bridge.loadSession(),
    saveSession: (session) => bridge.saveSession(session),
    loadPicture: () => bridge.loadPicture(settings.serverUrl),
    savePicture: (picture) => bridge.savePicture({ ...picture, serverUrl: settings.serverUrl }),
    notify: (request) => bridge.showNotification(request),
    notificationAccess: () => 'granted',
    requestNotificationAccess: () => Promise.resolve('granted'),
    async exportFile(file) {
      const extension = file.name.split('.').pop() ?? 'csv';
      const result = await bridge.saveFile({
        suggestedName: file.name,
        content: file.content,
        filterName: `${extension.toUpperCase()} files`,
        extensions: [extension],
      });
      return result.saved ? result.path : null;
    },
  };
}

const SETTINGS_KEY = 'fleetline.console.settings';

export function webPlatform(win: Window): Platform {
  const read = (): Settings => {
    try {
      const raw = win.localStorage.getItem(SETTINGS_KEY);
      const parsed = SettingsSchema.safeParse({
        ...DEFAULT_SETTINGS,
        ...(raw ? (JSON.parse(raw) as object) : {}),
      });
      return parsed.success ? parsed.data : structuredClone(DEFAULT_SETTINGS);
    } catch {
      return structuredClone(DEFAULT_SETTINGS);
    }
  };
  let settings = read();
  const notificationApi = () =>
    (win as Window & { Notification?: typeof Notification }).Notification;
  return {
    kind: 'web',
    serverUrl: () => '',
    settings: () => Promise.resolve(settings),
    updateSettings(patch) {
      settings = SettingsSchema.parse({ ...settings, ...patch });
      try {
        win.localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
      } catch {
        // Storage full or disabled: the settings hold for this page only.
      }
      return Promise.resolve(settings);
    },
    // The browser keeps the login in the server's HttpOnly cookie, out of the page's reach.
    loadSession: () => Promise.resolve(null),
    saveSession: () => Promise.resolve(),
    loadPicture: () => Promise.resolve(null),
    savePicture: () => Promise.resolve(),
    notify(request) {
      const N = notificationApi();
      if (!N || N.permission !== 'granted') return Promise.resolve(false);
      new N(request.title, { body: request.body, tag: request.tag });
      return Promise.resolve(true);
    },
    notificationAccess() {
      return notificationApi()?.permission ?? 'unsupported';
    },
    async requestNotificationAccess() {
      const N = notificationApi();
      if (!N) return 'unsupported';
      if (N.permission !== 'default') return N.permission;
      return N.requestPermission();
    },
    exportFile(file) {
      const url = URL.createObjectURL(new Blob([file.content], { type: file.mime }));
      const link = win.document.createElement('a');
      link.href = url;
      link.download = file.name;
      link.style.display = 'none';
      win.document.body.append(link);
      link.click();
      link.remove();
      // Revoke later: the download may still be reading the blob.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return Promise.resolve(file.name);
    },
  };
}
