// Test kit for the outbox's tests: temporary files, sample drafts and an
// outbox opened with test defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createLogger } from '../util/logger.js';
import { Outbox } from './outbox.js';
import type { SampleDraft } from './samples.js';

export const logger = createLogger('silent');

export const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);

/** A temporary outbox path per call, removed after each test of the file that calls this. */
export function useTempFiles(prefix = 'companion-outbox-'): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return path.join(dir, 'outbox.sqlite');
  };
}

export function position(t: number, lat = 52.5): SampleDraft {
  return { kind: 'position', t, lat, lon: 13.4, speedKmh: 30, fixQuality: 'gps' };
}
export function reading(t: number, pid = 13, value = 30): SampleDraft {
  return { kind: 'reading', t, pid, part: 0, value, unit: 'km/h' };
}
export function driving(t: number): SampleDraft {
  return { kind: 'driving', t, event: 'harsh_braking', accelMs2: -5, speedKmh: 40 };
}

export function open(
  file: string,
  options: Partial<Parameters<typeof Outbox.open>[0]> = {},
): Outbox {
  return Outbox.open({ file, maxBytes: 64 * 1024 * 1024, synchronous: 'FULL', logger, ...options });
}
