import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_BUILD_DIR = path.join(CONSOLE_DIR, 'dist/web');
const REPO = path.dirname(CONSOLE_DIR);

/** Everything the web build is made of: a change in any of them makes the build stale. */
const INPUTS = [
  path.join(CONSOLE_DIR, 'src/renderer'),
  path.join(CONSOLE_DIR, 'src/shared'),
  path.join(REPO, 'protocol/src'),
  path.join(CONSOLE_DIR, 'vite.web.config.ts'),
  path.join(CONSOLE_DIR, 'vite.shared.ts'),
  path.join(CONSOLE_DIR, 'package.json'),
];

function newestMtime(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) {
    if (entry.endsWith('.test.ts') || entry.endsWith('.test.tsx')) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

export function webBuildIsFresh(): boolean {
  const index = path.join(WEB_BUILD_DIR, 'index.html');
  if (!fs.existsSync(index)) return false;
  const built = fs.statSync(index).mtimeMs;
  return INPUTS.every((input) => !fs.existsSync(input) || newestMtime(input) <= built);
}

/**
 * Builds the web console when it is missing or older than its sources, so
 * the browser tests and the benchmark work on a fresh clone with nothing
 * built. A lock directory keeps two test files from building at once.
 */
export async function ensureWebBuild(): Promise<string> {
  const lock = path.join(CONSOLE_DIR, 'dist/.web-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Someone else builds: a lock older than the deadline is a crashed build's.
      const age =
        Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another web build');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!webBuildIsFresh()) {
      const vite = path.join(
        path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
        'bin/vite.js',
      );
      execFileSync(
        process.execPath,
        [vite, 'build', '--config', 'vite.web.config.ts', '--logLevel', 'warn'],
        {
          cwd: CONSOLE_DIR,
          stdio: ['ignore', 'ignore', 'inherit'],
          timeout: 180_000,
        },
      );
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return WEB_BUILD_DIR;
}
