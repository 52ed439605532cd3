// Test kit for the outbox's tests: temporary files, sample drafts and an
// outbox opened with test defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

/**
 * Overwrites a leaf page in the middle of a table with junk, as a worn SD
 * card might: opening the file reads no such page, a full read does.
 * Returns the page's number. The file must be closed (no WAL).
 */
export function damageLeafPage(file: string, table = 'samples'): number {
  const db = new Database(file, { readonly: true });
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const leaves = db
    .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .all(table) as { pageno: number }[];
  db.close();
  const page = leaves[Math.floor(leaves.length / 2)]?.pageno;
  if (page === undefined || leaves.length < 3) throw new Error(`too few leaf pages in ${table}`);
  const junk = Buffer.alloc(pageSize);
  for (let i = 0; i < pageSize; i += 1) junk[i] = (i * 7919) & 0xff;
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, junk, 0, pageSize, (page - 1) * pageSize);
  } finally {
    fs.closeSync(fd);
  }
  return page;
}
