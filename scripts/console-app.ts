import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The desktop console, when it can run here: the Electron binary is
 * installed (installing with ELECTRON_SKIP_BINARY_DOWNLOAD=1 leaves it out)
 * and the console is built. Null otherwise; the web console is then the way.
 */
export function desktopConsole(repoRoot: string): { electron: string; app: string } | null {
  const app = path.join(repoRoot, 'console');
  // The console package's `main`: electron-vite's build of the main process.
  if (!fs.existsSync(path.join(app, 'dist', 'electron', 'main', 'index.js'))) return null;
  try {
    // The electron package's main export is the binary's path; it throws when the binary is missing.
    const electron = createRequire(path.join(app, 'package.json'))('electron') as unknown;
    return typeof electron === 'string' && fs.existsSync(electron) ? { electron, app } : null;
  } catch {
    return null;
  }
}

export function openDesktopConsole(
  found: { electron: string; app: string },
  serverUrl: string,
): ChildProcess {
  return spawn(found.electron, [found.app], {
    stdio: 'inherit',
    env: { ...process.env, FLEETLINE_SERVER_URL: serverUrl },
  });
}
