/**
 * Renders the application icon (build-resources/icon.svg) to the PNG that
 * electron-builder turns into every platform's icon (build-resources/icon.png,
 * 1024×1024 with a transparent corner). Run it again after changing the SVG:
 *
 *   npx tsx console/scripts/render-icon.ts
 *
 * Debian's Chromium draws it (as in the end-to-end tests), so no image
 * library is needed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/browser.js';

const SIZE = 1024;
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build-resources');
const svg = fs.readFileSync(path.join(dir, 'icon.svg'), 'utf8');

const browser = await launchChromium({ width: SIZE, height: SIZE });
try {
  const page = await browser.context.newPage();
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`,
  );
  await page.locator('svg').screenshot({
    path: path.join(dir, 'icon.png'),
    omitBackground: true,
  });
} finally {
  await browser.close();
}
process.stdout.write(`icon.png: ${SIZE}x${SIZE}\n`);
