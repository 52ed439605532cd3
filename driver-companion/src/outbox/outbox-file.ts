import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { isCorruption, openDatabase } from './database.js';

/**
 * The file behind the outbox, kept usable through what a vehicle's disk
 * does to it:
 * - a file SQLite cannot read is moved aside (`outbox.sqlite.corrupt-<time>`)
 *   and a new one started, at open and also when a corrupt page turns up
 *   later (SQLite finds one only when it reads it): a vehicle must keep
 *   recording, and the server's hello tells the new file where the old
 *   numbers ended;
 * - a disk that refuses the file (full to the last block, failing) is tried
 *   again every few seconds, and every use throws OutboxUnavailableError
 *   until it opens.
 * What the outbox makes of each new file (its counters, limits, numbering)
 * is its `attach`; listeners hear of every new file, since numbers read
 * from the old one mean nothing in it.
 */

/** The outbox's file is not open: the disk refused it (full, failing) and it is tried again. */
export class OutboxUnavailableError extends Error {
  constructor(reason: string) {
    super(`the outbox is not open (${reason})`);
    this.name = 'OutboxUnavailableError';
  }
}

export interface OutboxFileOptions {
  file: string;
  maxBytes: number;
  synchronous: 'FULL' | 'NORMAL';
  /** How often to try the file again while the disk refuses it. */
  reopenEveryMs?: number;
  logger: Logger;
  now?: () => number;
}

/** A file found corrupt while running and moved aside. */
export interface FileReplacement {
  at: number;
  movedTo: string;
  /** Samples that waited in it. */
  unsent: number;
}

/** Takes a freshly opened database as the outbox's; throws to refuse it (it is closed again). */
export type AttachFile = (db: Database.Database, walBytes: number) => void;

const REOPEN_EVERY_MS = 5000;
/** What a full or failing disk looks like when a file is opened: worth waiting for, not a crash. */
const DISK_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

export function isDiskTrouble(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    DISK_ERRNOS.has(code) ||
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY')
  );
}

export class OutboxFile {
  readonly path: string;
  readonly #options: OutboxFileOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #attach: AttachFile;
  readonly #describe: () => { pending: number; lastAssignedSeq: number };
  /** The connection last handed to attach (null until one was). */
  #db: Database.Database | null = null;
  /** How many times a new file came behind the outbox (see #announceNewFile). */
  #generation = 0;
  #lastReplacement: FileReplacement | null = null;
  readonly #replacedListeners = new Set<() => void>();
  /** Corruption errors already acted on, so one seen by nested calls moves only one file aside. */
  readonly #handled = new WeakSet<object>();
  /** Why the file could not be opened (waitForDisk), until it is. */
  #openError: string | null = null;
  #reopenTimer: NodeJS.Timeout | null = null;

  /**
   * `describe` says what the outbox holds, for the logs and for a
   * replacement's record of what waited in the file moved aside.
   */
  constructor(
    options: OutboxFileOptions,
    attach: AttachFile,
    describe: () => { pending: number; lastAssignedSeq: number },
  ) {
    this.path = options.file;
    this.#options = options;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#attach = attach;
    this.#describe = describe;
  }

  /** Opens (or creates) the file and attaches it; a file SQLite cannot read is moved aside first. */
  open(): void {
    openInto(this.#options, (db, walBytes) => {
      this.#db = db;
      this.#attach(db, walBytes);
    });
  }

  /** The disk refused the file: every use throws OutboxUnavailableError until a retry opens it. */
  waitForDisk(error: unknown): void {
    const retryEveryMs = this.#options.reopenEveryMs ?? REOPEN_EVERY_MS;
    const code = (error as { code?: unknown } | null)?.code;
    // SQLite says "disk I/O error" for most of these; the code tells which.
    this.#openError = typeof code === 'string' ? `${messageOf(error)}, ${code}` : messageOf(error);
    this.#logger.error(
      { err: messageOf(error), code, file: this.path, retryEveryMs },
      'outbox cannot be opened (disk full or failing?): keeping samples in memory and trying again',
    );
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = setInterval(() => this.#tryToOpen(), retryEveryMs);
    this.#reopenTimer.unref();
  }

  /** Whether the file is open (false only while waitForDisk waits for it). */
  get available(): boolean {
    return this.#openError === null;
  }

  /** Why the file could not be opened, while it cannot. */
  get openError(): string | null {
    return this.#openError;
  }

  /** Counts the new files behind the outbox: numbers read before one came mean nothing after. */
  get generation(): number {
    return this.#generation;
  }

  /** The last time a file found corrupt while running was moved aside (this process). */
  get lastReplacement(): FileReplacement | null {
    return this.#lastReplacement && { ...this.#lastReplacement };
  }

  /** Called whenever a new file is behind the outbox. Returns the unsubscribe. */
  onReplaced(listener: () => void): () => void {
    this.#replacedListeners.add(listener);
    return () => this.#replacedListeners.delete(listener);
  }

  /**
   * Runs one operation on the file. SQLite finds a corrupt page only when it
   * reads it: a file that passed open() can fail any later call, at every
   * restart again. Then the file is moved aside as open() does and a new
   * one started (the hello's numbering check renumbers what the new one
   * records), and the error is thrown on for the caller to back off.
   */
  guard<T>(work: () => T): T {
    if (this.#openError !== null) throw new OutboxUnavailableError(this.#openError);
    try {
      return work();
    } catch (error) {
      this.replaceIfCorrupt(error);
      throw error;
    }
  }

  /** Reads that have an answer while the file is not open: nothing stored, nothing known. */
  read<T>(work: () => T, unopened: T): T {
    return this.#openError === null ? this.guard(work) : unopened;
  }

  /** Once per error: a corrupt file is moved aside and a new one started (throws if that fails). */
  replaceIfCorrupt(error: unknown): void {
    if (!isCorruption(error) || typeof error !== 'object' || error === null) return;
    if (this.#handled.has(error)) return;
    this.#handled.add(error);
    this.#replace(error);
  }

  /** Stops retrying, and folds the WAL back into the database so the file is complete on its own. */
  close(): void {
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = null;
    if (this.#openError !== null) return;
    if (this.#db === null || !this.#db.open) return;
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      this.#logger.warn({ err: messageOf(error) }, 'outbox checkpoint at close failed');
    }
    this.#db.close();
  }

  #tryToOpen(): void {
    const previous = this.#openError;
    // Open while it is being set up, so the disk bound is applied to it from the start.
    this.#openError = null;
    try {
      this.open();
    } catch (error) {
      const message = messageOf(error);
      if (message !== previous) {
        this.#logger.warn({ err: message }, 'outbox still cannot be opened; trying again');
      }
      this.#openError = message;
      return;
    }
    if (this.#reopenTimer) clearInterval(this.#reopenTimer);
    this.#reopenTimer = null;
    this.#logger.info({ file: this.path, ...this.#describe() }, 'outbox opened at last');
    this.#announceNewFile();
  }

  #replace(cause: unknown): void {
    const aside = `${this.path}.corrupt-${timestamp()}`;
    const { pending: unsent } = this.#describe();
    this.#logger.error(
      { err: messageOf(cause), file: this.path, movedTo: aside, pending: unsent },
      'outbox found corrupt while running; moved aside (what waited is in it), starting a new one',
    );
    try {
      this.#db?.close();
    } catch {
      // Closing a corrupt file may fail too; it is moved aside whatever.
    }
    moveAside(this.path, aside);
    this.#lastReplacement = { at: this.#now(), movedTo: aside, unsent };
    try {
      this.open();
    } catch (error) {
      // No new file either (a disk failing altogether): wait for one, as at a start on a full disk.
      this.waitForDisk(error);
      throw error;
    }
    this.#announceNewFile();
  }

  /** A new file is behind the outbox: numbers read from the old one mean nothing in it. */
  #announceNewFile(): void {
    this.#generation += 1;
    for (const listener of [...this.#replacedListeners]) {
      try {
        listener();
      } catch (error) {
        this.#logger.error({ err: messageOf(error) }, 'a listener of the outbox failed');
      }
    }
  }
}

/**
 * Opens (creating if needed) the file and hands it to `attach`. A file
 * SQLite cannot read, at open or while `attach` reads it, is moved aside
 * and a new one started.
 */
function openInto(options: OutboxFileOptions, attach: AttachFile): void {
  fs.mkdirSync(path.dirname(options.file), { recursive: true });
  try {
    attachOrClose(openDatabase(options), attach);
  } catch (error) {
    if (!isCorruption(error)) throw error;
    const aside = moveAside(options.file);
    options.logger.error(
      { err: messageOf(error), file: options.file, movedTo: aside },
      'outbox unreadable; moved aside, starting a new one',
    );
    attachOrClose(openDatabase(options), attach);
  }
}

function attachOrClose(
  opened: { db: Database.Database; walBytes: number },
  attach: AttachFile,
): void {
  try {
    attach(opened.db, opened.walBytes);
  } catch (error) {
    try {
      opened.db.close();
    } catch {
      // Closed already.
    }
    throw error;
  }
}

/** The database, WAL and shared-memory files as they are on disk, together. */
export function bytesOnDisk(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += fs.statSync(file + suffix).size;
    } catch {
      // Not there (no WAL yet): nothing to count.
    }
  }
  return total;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Moves the database and its WAL and -shm files to `aside` (`<file>.corrupt-<time>`). */
function moveAside(file: string, aside = `${file}.corrupt-${timestamp()}`): string {
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
  }
  return aside;
}
