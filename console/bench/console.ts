/**
 * npm run bench:console
 *
 * Opens the console's live map in Debian's Chromium with 10,000 vehicles
 * reporting at 1 Hz from a synthetic console feed, for 30 s, twice: the
 * console's own WebGL vehicle layer, and a naive baseline (one React-rendered
 * DOM marker per vehicle) with everything else the same. Prints one JSON
 * line. Figures: docs/BENCHMARKS.md.
 *
 * BENCH_VEHICLES, BENCH_SECONDS and BENCH_HZ override the defaults.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import { startSyntheticFeed } from './feed-server.js';

const VEHICLES = Number(process.env.BENCH_VEHICLES ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const HZ = Number(process.env.BENCH_HZ ?? 1);
const WARMUP_MS = 5_000;
const CENTER = { lat: 52.52, lon: 13.405 };

/** console/, from the sources (tsx) or from dist/bench (the build). */
function consoleDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const pkg = path.join(dir, 'package.json');
    if (
      fs.existsSync(pkg) &&
      (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === '@fleetline/console'
    )
      return dir;
    dir = path.dirname(dir);
  }
  throw new Error('console/ not found');
}

async function buildPage(root: string): Promise<string> {
  const outDir = path.join(root, 'dist/bench-web');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: path.join(root, 'src/bench-page'),
    publicDir: path.join(root, 'src/renderer/public'),
    base: '/',
    plugins: [react()],
    resolve: { conditions: ['fleetline-source', 'module', 'browser', 'production'] },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'chrome120',
      minify: true,
      chunkSizeWarningLimit: 4000,
    },
  });
  return outDir;
}

interface Collected {
  frames: number[];
  longTasks: number[];
  batches: number[];
}

/** Frame intervals from requestAnimationFrame, long tasks from the Long Tasks API, and each store flush's main-thread time. */
const INSTRUMENT = `
  window.__metrics = { recording: false, frames: [], longTasks: [], batches: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (window.__metrics.recording) window.__metrics.longTasks.push(e.duration);
  }).observe({ type: 'longtask' });
  let last = performance.now();
  const frame = (t) => {
    if (window.__metrics.recording) window.__metrics.frames.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
`;

async function measure(page: Page, url: string, mode: 'layers' | 'naive'): Promise<Collected> {
  await page.goto(`${url}/?mode=${mode}&lat=${CENTER.lat}&lon=${CENTER.lon}&zoom=12.4`);
  await page.locator('[data-testid="map"][data-ready="true"]').waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    (n) => {
      const bench = (
        window as unknown as {
          __bench?: { stores: { fleet: { getState(): { vehicles: Map<number, unknown> } } } };
        }
      ).__bench;
      return bench?.stores.fleet.getState().vehicles.size === n;
    },
    VEHICLES,
    { timeout: 60_000 },
  );
  // Time each flush of the update buffer into the store, up to the end of the task
  // (subscribers, setData, and React's render, which runs in a microtask after it).
  await page.evaluate(() => {
    type Fleet = {
      getState(): { applyBatch: (b: unknown, now: number) => void };
      setState(s: object): void;
    };
    const w = window as unknown as {
      __bench: { stores: { fleet: Fleet } };
      __metrics: { recording: boolean; batches: number[] };
    };
    const fleet = w.__bench.stores.fleet;
    const original = fleet.getState().applyBatch;
    fleet.setState({
      applyBatch: (batch: unknown, now: number) => {
        const start = performance.now();
        original(batch, now);
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          if (w.__metrics.recording) w.__metrics.batches.push(performance.now() - start);
        };
        channel.port2.postMessage(0);
      },
    });
  });
  await page.waitForTimeout(WARMUP_MS);
  await page.evaluate(
    () => ((window as unknown as { __metrics: { recording: boolean } }).__metrics.recording = true),
  );
  await page.waitForTimeout(SECONDS * 1000);
  return page.evaluate(() => {
    const m = (window as unknown as { __metrics: Collected & { recording: boolean } }).__metrics;
    m.recording = false;
    return { frames: m.frames, longTasks: m.longTasks, batches: m.batches };
  });
}

const quantile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};
const round = (n: number) => Math.round(n * 10) / 10;

function summarize(c: Collected) {
  return {
    frames: c.frames.length,
    fps: round(c.frames.length / SECONDS),
    frameMs: {
      p50: round(quantile(c.frames, 0.5)),
      p95: round(quantile(c.frames, 0.95)),
      max: round(Math.max(0, ...c.frames)),
    },
    longTasks: {
      count: c.longTasks.length,
      totalMs: Math.round(c.longTasks.reduce((a, b) => a + b, 0)),
    },
    batchMs: {
      count: c.batches.length,
      p50: round(quantile(c.batches, 0.5)),
      p95: round(quantile(c.batches, 0.95)),
      mean: round(c.batches.reduce((a, b) => a + b, 0) / Math.max(1, c.batches.length)),
    },
  };
}

async function main(): Promise<void> {
  const root = consoleDir();
  const pageDir = await buildPage(root);
  const feed = await startSyntheticFeed({
    pageDir,
    vehicles: VEHICLES,
    updateHz: HZ,
    flushMs: 50,
    center: CENTER,
    radiusM: 5000,
  });
  const browser = await launchChromium({ width: 1600, height: 960 });
  try {
    await browser.context.addInitScript(INSTRUMENT);
    const results: Record<string, ReturnType<typeof summarize>> = {};
    for (const mode of ['layers', 'naive'] as const) {
      const page = await browser.context.newPage();
      results[mode] = summarize(await measure(page, feed.url, mode));
      await page.close();
    }
    const version = browser.context.browser()?.version() ?? 'unknown';
    process.stdout.write(
      `${JSON.stringify({
        bench: 'console',
        vehicles: VEHICLES,
        updateHz: HZ,
        seconds: SECONDS,
        feedFlushMs: 50,
        storeFlushMs: 250,
        console: results.layers,
        naiveBaseline: results.naive,
        chromium: version,
        cpus: os.cpus().length,
      })}\n`,
    );
  } finally {
    await browser.close();
    await feed.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
