import fs from 'node:fs';
import { openDatabaseForChange } from './database.js';
import { unreadable } from './inspection.js';
import type { OutboxFinding } from './inspection.js';
import { parseJson } from './meta.js';
import type { Refusal } from './meta.js';

/** What removing the stored refusal from an outbox file came to. */
export type RefusalRemoval =
  | { kind: 'missing' }
  /** No refusal was stored (nor a meta table: a file the daemon has not set up). */
  | { kind: 'none' }
  /** Removed; null for a record that did not parse (which nothing honoured either). */
  | { kind: 'removed'; refusal: Refusal | null }
  | Extract<OutboxFinding, { kind: 'corrupt' | 'newer' | 'unopenable' }>;

/**
 * Removes the refusal the uplink stored in an outbox file, and nothing else:
 * the file is opened as it is (no schema set up, nothing thinned or moved
 * aside), and a missing one is not created. The caller makes sure no
 * daemon holds the file.
 */
export function removeRefusal(file: string): RefusalRemoval {
  try {
    fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return unreadable(error);
  }
  let db;
  try {
    db = openDatabaseForChange(file);
  } catch (error) {
    return unreadable(error);
  }
  try {
    return db
      .transaction((): RefusalRemoval => {
        const hasMeta = db
          .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'`)
          .get();
        if (!hasMeta) return { kind: 'none' };
        const row = db.prepare(`SELECT value FROM meta WHERE key = 'refusal'`).get() as
          { value: string } | undefined;
        if (!row) return { kind: 'none' };
        db.prepare(`DELETE FROM meta WHERE key = 'refusal'`).run();
        return { kind: 'removed', refusal: parseJson<Refusal | null>(row.value, null) };
      })
      .immediate();
  } catch (error) {
    return unreadable(error);
  } finally {
    db.close();
  }
}
