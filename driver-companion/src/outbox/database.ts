import Database from 'better-sqlite3';

/**
 * The outbox's SQLite file: its pragmas (WAL, synchronous mode, a WAL kept
 * small against the disk bound), its schema and its prepared statements.
 * What the outbox does with them is in outbox.ts.
 */

const SCHEMA_VERSION = 1;

/** Every statement the outbox runs, by name. */
const SQL = {
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta:
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  deleteMeta: 'DELETE FROM meta WHERE key = ?',
  insertSample: 'INSERT INTO samples (seq, t, class, series, body) VALUES (?, ?, ?, ?, ?)',
  insertEvent: 'INSERT INTO events (seq, t, body) VALUES (?, ?, ?)',
  insertJournal: 'INSERT INTO journal (seq, body) VALUES (?, ?)',
  read: `SELECT seq, body FROM samples WHERE seq > ? AND seq <= ?
       UNION ALL SELECT seq, body FROM events WHERE seq > ? AND seq <= ?
       ORDER BY seq LIMIT ?`,
  deleteSamples: 'DELETE FROM samples WHERE seq >= ? AND seq <= ?',
  deleteEvents: 'DELETE FROM events WHERE seq >= ? AND seq <= ?',
  reject: 'INSERT INTO rejections (seq, field, reason, at) VALUES (?, ?, ?, ?)',
  trimRejections: 'DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - 1000',
  quarantineSamples:
    'INSERT INTO quarantine (seq, body, reason, at) SELECT seq, body, ?, ? FROM samples WHERE seq >= ? AND seq <= ?',
  quarantineEvents:
    'INSERT INTO quarantine (seq, body, reason, at) SELECT seq, body, ?, ? FROM events WHERE seq >= ? AND seq <= ?',
  oldest: `SELECT seq, t FROM (
         SELECT seq, t FROM (SELECT seq, t FROM samples ORDER BY seq LIMIT 1)
         UNION ALL SELECT seq, t FROM (SELECT seq, t FROM events ORDER BY seq LIMIT 1))
       ORDER BY seq LIMIT 1`,
  medianSeq:
    'SELECT seq FROM samples WHERE class = ? ORDER BY seq LIMIT 1 OFFSET (SELECT count(*) / 2 FROM samples WHERE class = ?)',
  chunkEdge: 'SELECT seq FROM samples WHERE class = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?',
  // Keeps the first sample of each series in each time bucket. The CAST
  // matters: better-sqlite3 binds numbers as REAL, so the division would
  // otherwise be exact and every row its own bucket.
  thin: `DELETE FROM samples WHERE class = ? AND seq > ? AND seq <= ? AND seq NOT IN (
         SELECT min(seq) FROM samples WHERE class = ? AND seq > ? AND seq <= ?
         GROUP BY series, CAST(t / ? AS INTEGER))`,
  // The median of everything waiting, events included: samples past it are the newest half.
  medianAll: `SELECT seq FROM (SELECT seq FROM samples UNION ALL SELECT seq FROM events)
       ORDER BY seq LIMIT 1 OFFSET ((SELECT count(*) FROM samples) + (SELECT count(*) FROM events)) / 2`,
  dropOldest:
    'DELETE FROM samples WHERE seq IN (SELECT seq FROM samples WHERE seq < ? ORDER BY seq LIMIT ?)',
  recentRejections: 'SELECT seq, field, reason, at FROM rejections ORDER BY id DESC LIMIT ?',
  waitingSpan: `SELECT min(low) AS low, sum(n) AS n FROM (
         SELECT min(seq) AS low, count(*) AS n FROM samples WHERE seq > ?
         UNION ALL SELECT min(seq), count(*) FROM events WHERE seq > ?)`,
  journalOfWaitingToNegative: `UPDATE journal SET seq = -seq WHERE seq IN (
         SELECT seq FROM samples WHERE seq > ? UNION ALL SELECT seq FROM events WHERE seq > ?)`,
  samplesToNegative: 'UPDATE samples SET seq = -seq WHERE seq > ?',
  eventsToNegative: 'UPDATE events SET seq = -seq WHERE seq > ?',
  // From -seq back to seq + delta.
  journalFromNegative: 'UPDATE journal SET seq = ? - seq WHERE seq < 0',
  samplesFromNegative: 'UPDATE samples SET seq = ? - seq WHERE seq < 0',
  eventsFromNegative: 'UPDATE events SET seq = ? - seq WHERE seq < 0',
} as const;

export type Statements = Record<keyof typeof SQL, Database.Statement>;

export function prepareStatements(db: Database.Database): Statements {
  const prepared: Partial<Statements> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[])
    prepared[name] = db.prepare(SQL[name]);
  return prepared as Statements;
}

/** Opens (creating if needed) the outbox file; the WAL's size in bytes is part of the disk bound. */
export function openDatabase(options: {
  file: string;
  maxBytes: number;
  synchronous: 'FULL' | 'NORMAL';
}): { db: Database.Database; walBytes: number } {
  const db = new Database(options.file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    // A busy SD card should delay a commit, not fail it.
    db.pragma('busy_timeout = 5000');
    // Keep the WAL small against the bound: checkpoint often and truncate it back afterwards.
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const walPages = walLimitPages(options.maxBytes, pageSize);
    db.pragma(`wal_autocheckpoint = ${walPages}`);
    db.pragma(`journal_size_limit = ${walPages * pageSize}`);
    checkSchemaVersion(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS samples (
        seq INTEGER PRIMARY KEY,
        t INTEGER NOT NULL,
        class INTEGER NOT NULL,
        series TEXT,
        body TEXT NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS samples_by_class ON samples (class, seq);
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, body TEXT NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS quarantine (
        seq INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS rejections (
        id INTEGER PRIMARY KEY, seq INTEGER, field TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    return { db, walBytes: walPages * pageSize };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing outbox file for reading only (doctor): no pragma that
 * writes, no schema, nothing moved aside. A file in WAL mode is read with
 * its WAL, committed transactions a killed process left there included;
 * SQLite keeps a reader's index of the WAL in the `-shm` file, and creates
 * an empty `-wal` and the `-shm` beside a file closed cleanly (a reader
 * cannot take the lock that would let it remove them again). Neither holds
 * data: the next daemon uses them and removes them at its stop. Throws on a
 * file SQLite cannot read (isCorruption) or cannot open.
 */
export function openDatabaseReadOnly(options: { file: string; maxBytes: number }): {
  db: Database.Database;
  walBytes: number;
} {
  const db = new Database(options.file, { readonly: true, fileMustExist: true });
  try {
    // A reader may wait for a writer's checkpoint; it must not fail on one.
    db.pragma('busy_timeout = 5000');
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    checkSchemaVersion(db);
    return { db, walBytes: walLimitPages(options.maxBytes, pageSize) * pageSize };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing outbox file to change a record in it (forget-refusal),
 * with the daemon stopped: nothing created, no schema set up, nothing moved
 * aside. Throws as openDatabaseReadOnly does.
 */
export function openDatabaseForChange(file: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // The change must outlast a power cut whatever storage.synchronous says.
    db.pragma('synchronous = FULL');
    checkSchemaVersion(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The WAL's size limit in pages: small against the bound, which it is part of. */
function walLimitPages(maxBytes: number, pageSize: number): number {
  return Math.max(16, Math.min(1000, Math.floor(maxBytes / pageSize / 16)));
}

function checkSchemaVersion(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) throw new NewerSchemaError(version);
}

/** The file was written by a newer companion: this one must not touch it. */
export class NewerSchemaError extends Error {
  constructor(readonly version: number) {
    super(`outbox schema ${version} is newer than this companion understands (${SCHEMA_VERSION})`);
    this.name = 'NewerSchemaError';
  }
}

/** SQLite cannot read the file: the outbox moves it aside and starts a new one. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}
