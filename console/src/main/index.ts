import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  Notification,
  app,
  dialog,
  ipcMain,
  protocol,
  safeStorage,
  screen,
} from 'electron';
import { APP_ORIGIN } from '../shared/ipc.js';
import type { Settings } from '../shared/ipc.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { ContentPolicy } from './content-policy.js';
import { saveFileWithDialog } from './file-save.js';
import { registerIpcHandlers } from './ipc-handlers.js';
import { IpcRegistry } from './ipc-registry.js';
import { LocalStore } from './local-store.js';
import { Notifier } from './notifications.js';
import { fetchMapSettings } from './server-config.js';
import { openMainWindow, originOf } from './window.js';
import type { WindowLike } from './window.js';
import { keepWindowState, placeWindow } from './window-state.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD = path.join(here, '../preload/index.cjs');
const RENDERER_DIR = path.join(here, '../renderer');
/** electron-vite's dev server during `npm run dev -w console`; the bundled renderer otherwise. */
const DEV_RENDERER_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const RENDERER_URL = DEV_RENDERER_URL ?? `${APP_ORIGIN}/`;

// Privileged schemes must be declared before the app is ready.
registerAppScheme(protocol);

if (!app.requestSingleInstanceLock()) {
  // One console per workstation: a second start focuses the first.
  app.quit();
} else {
  let window: WindowLike | null = null;
  const log = (message: string, error?: unknown) =>
    process.stderr.write(
      `[fleetline console] ${message}${error ? `: ${error instanceof Error ? error.message : JSON.stringify(error)}` : ''}\n`,
    );

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(async () => {
    const store = new LocalStore(
      path.join(app.getPath('userData'), 'console.sqlite'),
      {
        available: () => safeStorage.isEncryptionAvailable(),
        encrypt: (plain) => safeStorage.encryptString(plain),
        decrypt: (sealed) => safeStorage.decryptString(sealed),
      },
      log,
    );

    // A server given on the command line (--server=URL) or in the environment wins for this run.
    const override =
      process.argv.find((a) => a.startsWith('--server='))?.slice('--server='.length) ??
      process.env.FLEETLINE_SERVER_URL;
    let settings: Settings = store.getSettings();
    if (override) {
      try {
        settings = store.updateSettings({ serverUrl: override });
      } catch (err) {
        log(`ignoring the server URL ${override}`, err);
      }
    }
    // The CSP follows the server and its map provider; the window does not wait for the server.
    const policy = new ContentPolicy(settings.serverUrl, {
      fetchMapSettings: (serverUrl) => fetchMapSettings(serverUrl),
      storedMapSettings: (serverUrl) => store.getMapSettings(serverUrl),
      storeMapSettings: (serverUrl, map) => store.setMapSettings(serverUrl, map),
      reload: () => window?.webContents.reload(),
      later: (run, ms) => {
        const timer = setTimeout(run, ms);
        timer.unref();
        return () => clearTimeout(timer);
      },
    });
    app.on('will-quit', () => {
      policy.dispose();
      store.close();
    });
    serveRenderer(protocol, RENDERER_DIR, () => policy.forPage());

    const trusted = new Set([
      APP_ORIGIN,
      ...(DEV_RENDERER_URL ? [originOf(DEV_RENDERER_URL)] : []),
    ]);
    const registry = new IpcRegistry(ipcMain, {
      isTrustedSender: (url) => trusted.has(originOf(url) ?? ''),
      onError: (channel, error) => log(`IPC ${channel}`, error),
    });
    const notifier = new Notifier(
      {
        isSupported: () => Notification.isSupported(),
        create: (options) => new Notification(options),
      },
      () => window?.focus(),
    );
    registerIpcHandlers(registry, {
      store,
      appInfo: () => ({
        version: app.getVersion(),
        platform: process.platform,
        electron: process.versions.electron ?? 'unknown',
        secureStorage: safeStorage.isEncryptionAvailable(),
      }),
      notify: (request) => notifier.show(request),
      saveFile: (request) =>
        saveFileWithDialog(
          dialog,
          (file, content) => writeFile(file, content, 'utf8'),
          app.getPath('downloads'),
          request,
        ),
      settingsChanged: (next) => void policy.serverChanged(next.serverUrl),
    });

    void policy.learn();
    // Where it was last, on a display that is still there.
    const placement = placeWindow(
      store.getWindowState(),
      screen.getAllDisplays().map((d) => d.workArea),
      screen.getPrimaryDisplay().workArea,
    );
    const opened = await openMainWindow(
      (options) => new BrowserWindow(options),
      PRELOAD,
      RENDERER_URL,
      placement,
    );
    window = opened;
    keepWindowState(opened, (state) => store.setWindowState(state));
    opened.on('closed', () => {
      window = null;
    });
  });
}
