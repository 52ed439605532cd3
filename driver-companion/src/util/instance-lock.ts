import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Who holds a data directory, written beside the outbox while a companion runs. */
export interface InstanceInfo {
  pid: number;
  name: string;
  startedAt: number;
  health: { host: string; port: number } | null;
  /** Tell a live holder from a recycled pid after a reboot or a crash. */
  bootId: string | null;
  procStart: string | null;
}

export class InstanceLockError extends Error {
  /** Who holds it, when its record says (a holder that has not written it yet does not). */
  readonly holder: InstanceInfo | null;

  constructor(dataDir: string, holder: InstanceInfo | null) {
    super(
      `another companion${holder ? ` (pid ${holder.pid}, "${holder.name}")` : ''} is using ${dataDir}; two would send the same outbox twice`,
    );
    this.name = 'InstanceLockError';
    this.holder = holder;
  }
}

/** Who holds the data directory: a small JSON file, for doctor and forget-refusal. */
export const LOCK_FILE = 'companion.lock';
/**
 * What is locked: an empty SQLite database, never removed, whose write
 * lock the holder keeps for as long as it runs.
 */
export const GUARD_FILE = 'companion.lock.sqlite';

export interface InstanceLock {
  /** Records where the health endpoint listens, for doctor. */
  update(health: InstanceInfo['health']): void;
  /** Takes the lock and writes the file if a full disk kept them from it so far; true once done. */
  retry(): boolean;
  release(): void;
}

/** Errors of a disk without room: the lock is held in memory until the file can be written. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

function noRoom(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_ROOM.has(code);
}

/**
 * One companion per data directory. Taking it is atomic: the lock is
 * SQLite's write lock (fcntl, taken without waiting) on `companion.lock.sqlite`,
 * so of two companions started at the same moment exactly one gets it, and
 * the kernel drops it when its holder dies (SIGKILL, a crash): a stale lock
 * is taken by the next one to try, with nothing to decide and so no race.
 * The file is never removed: a lock on a file removed and created again
 * would not exclude a lock on the new one. Beside it, `companion.lock` says
 * who holds it (pid, name, health endpoint), written only by the holder; a
 * holder counts as alive there only if its pid runs the same process as
 * when it wrote the file (same boot, same process start).
 *
 * An fcntl lock belongs to the process and goes with the first close of any
 * descriptor of the file in it: nothing else in the process may open
 * `companion.lock.sqlite` (SQLite's own connections are safe: it defers
 * their closes).
 *
 * On a disk full to the last block the record cannot be written: the lock
 * is taken all the same (taking it writes nothing) and the record written
 * when there is room (retry()). Where not even the empty file can be made
 * (no inode left), the lock is held in memory and taken for real once it
 * can be: a full disk does not keep the daemon from recording, and until
 * then a second companion would not see this one.
 */
export function acquireInstanceLock(dataDir: string, name: string): InstanceLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  let guard: Database.Database | null = null;
  try {
    guard = takeGuard(dataDir);
  } catch (error) {
    if (!noRoom(error)) throw error;
  }
  // A live holder on record without the lock: a companion from before the lock (an upgrade
  // under way). This process's own record is left over from a lock it released.
  const recorded = readInstance(dataDir);
  if (recorded && recorded.pid !== process.pid) {
    closeGuard(guard);
    throw new InstanceLockError(dataDir, recorded);
  }
  let info: InstanceInfo = {
    pid: process.pid,
    name,
    startedAt: Date.now(),
    health: null,
    bootId: bootId(),
    procStart: procStart(process.pid),
  };
  let written = false;
  const write = (): void => {
    if (guard === null) return;
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, JSON.stringify(info));
      fs.renameSync(temp, file);
      written = true;
    } catch (error) {
      if (!noRoom(error)) throw error;
      fs.rmSync(temp, { force: true });
      written = false;
    }
  };
  try {
    write();
  } catch (error) {
    closeGuard(guard);
    throw error;
  }
  let released = false;
  return {
    update(health) {
      if (released) return;
      info = { ...info, health };
      write();
    },
    retry() {
      if (released) return false;
      if (guard === null) {
        try {
          guard = takeGuard(dataDir);
        } catch (error) {
          // Still no room; another companion that started meanwhile is not this one's to stop.
          if (noRoom(error) || error instanceof InstanceLockError) return false;
          throw error;
        }
      }
      if (!written) write();
      return written;
    },
    release() {
      if (released) return;
      released = true;
      // The record first, while the lock still keeps every other companion from writing its own.
      try {
        const current = JSON.parse(fs.readFileSync(file, 'utf8')) as InstanceInfo;
        if (current.pid === info.pid && current.startedAt === info.startedAt)
          fs.rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
      closeGuard(guard);
      guard = null;
    },
  };
}

/** Takes the write lock on the guard file, creating it if need be; throws InstanceLockError if held. */
function takeGuard(dataDir: string): Database.Database {
  const file = path.join(dataDir, GUARD_FILE);
  const existed = fs.existsSync(file);
  // No busy timeout: a held lock is an answer, not something to wait for.
  const db = new Database(file, { timeout: 0 });
  try {
    // No journal file: the transaction writes nothing to disk (a full one included), and a
    // holder killed leaves nothing behind for the next to roll back.
    db.pragma('journal_mode = MEMORY');
    // SQLite's RESERVED lock, which one connection at a time may hold. Not EXCLUSIVE: taking
    // that waits for every SHARED lock to go, so two taking it at once could both be refused.
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY')
      throw new InstanceLockError(dataDir, readInstance(dataDir));
    throw error;
  }
  if (!existed) giveToDirectoryOwner(file, dataDir);
  return db;
}

/** Run as root (doctor, forget-refusal), the file goes to the directory's owner, as SQLite does with its -wal. */
function giveToDirectoryOwner(file: string, dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  try {
    const owner = fs.statSync(dataDir);
    if (owner.uid !== 0) fs.chownSync(file, owner.uid, owner.gid);
  } catch {
    // Left to root: the service's user then cannot take the lock, and says so.
  }
}

function closeGuard(guard: Database.Database | null): void {
  if (!guard?.open) return;
  try {
    // Closing rolls the empty transaction back and drops the lock.
    guard.close();
  } catch {
    // Closed already.
  }
}

/** The companion holding a data directory, if one does and is alive. */
export function readInstance(dataDir: string): InstanceInfo | null {
  let info: InstanceInfo;
  try {
    info = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as InstanceInfo;
  } catch {
    return null;
  }
  if (typeof info.pid !== 'number' || !isAlive(info)) return null;
  return info;
}

function isAlive(info: InstanceInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const boot = bootId();
  if (info.bootId && boot && info.bootId !== boot) return false;
  const start = procStart(info.pid);
  if (info.procStart && start && info.procStart !== start) return false;
  return true;
}

function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function procStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
