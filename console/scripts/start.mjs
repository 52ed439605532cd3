#!/usr/bin/env node
/**
 * npm start -w console [-- --server=URL]
 *
 * Opens the desktop console when the Electron binary is installed (building
 * it first when it is not built); otherwise says where the web console is.
 * The server's URL comes from --server=URL, FLEETLINE_SERVER_URL, or
 * http://127.0.0.1:8080. Exit code 0 either way: a machine without Electron
 * (CI, a server) is not an error, the browser is the console there.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const server =
  process.argv.find((a) => a.startsWith('--server='))?.slice('--server='.length) ??
  process.env.FLEETLINE_SERVER_URL ??
  'http://127.0.0.1:8080';
const webUrl = `${server.replace(/\/+$/, '')}/console/`;

/** The Electron binary's path, or null where it was never downloaded. */
function electronBinary() {
  try {
    const binary = require('electron');
    return typeof binary === 'string' && fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) {
  process.stdout.write(
    [
      'The Electron binary is not installed here, so the desktop console cannot open.',
      `Open the web console in a browser: ${webUrl}`,
      'To get the desktop console: npm install without ELECTRON_SKIP_BINARY_DOWNLOAD, then npm start again.',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const main = path.join(consoleDir, 'dist/electron/main/index.js');
if (!fs.existsSync(main)) {
  const built = spawnSync(
    process.execPath,
    [
      path.join(
        path.dirname(require.resolve('electron-vite/package.json')),
        'bin/electron-vite.js',
      ),
      'build',
    ],
    {
      cwd: consoleDir,
      stdio: 'inherit',
    },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
}

process.stdout.write(`Opening the desktop console for ${server} (the web console: ${webUrl})\n`);
const child = spawn(binary, [consoleDir, `--server=${server}`], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
