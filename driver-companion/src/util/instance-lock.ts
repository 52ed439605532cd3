import fs from 'node:fs';
import path from 'node:path';

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
  readonly holder: InstanceInfo;

  constructor(dataDir: string, holder: InstanceInfo) {
    super(
      `another companion (pid ${holder.pid}, "${holder.name}") is using ${dataDir}; two would send the same outbox twice`,
    );
    this.name = 'InstanceLockError';
    this.holder = holder;
  }
}

export const LOCK_FILE = 'companion.lock';

export interface InstanceLock {
  /** Records where the health endpoint listens, for doctor. */
  update(health: InstanceInfo['health']): void;
  /** Writes the file if a full disk kept it from being written so far; true once it is. */
  retry(): boolean;
  release(): void;
}

/** Errors of a disk without room: the lock is held in memory until the file can be written. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * One companion per data directory. The lock is a small JSON file; a lock
 * left by a process that is gone (SIGKILL, power cut) is taken over. A
 * holder counts as alive only if its pid runs the same process as when it
 * wrote the file (same boot, same process start), so a recycled pid after a
 * reboot does not lock the vehicle out.
 *
 * On a disk full to the last block the file cannot be written: the lock is
 * taken all the same (no live holder was found) and the file written when
 * there is room (retry()), so a full disk does not keep the daemon from
 * recording. Until then a second companion would not see this one.
 */
export function acquireInstanceLock(dataDir: string, name: string): InstanceLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const holder = readInstance(dataDir);
  if (holder && holder.pid !== process.pid) throw new InstanceLockError(dataDir, holder);
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
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, JSON.stringify(info));
      fs.renameSync(temp, file);
      written = true;
    } catch (error) {
      if (!NO_ROOM.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      fs.rmSync(temp, { force: true });
      written = false;
    }
  };
  write();
  let released = false;
  return {
    update(health) {
      if (released) return;
      info = { ...info, health };
      write();
    },
    retry() {
      if (!released && !written) write();
      return written;
    },
    release() {
      if (released) return;
      released = true;
      // Only our own lock: never remove one another process took over meanwhile.
      try {
        const current = JSON.parse(fs.readFileSync(file, 'utf8')) as InstanceInfo;
        if (current.pid === info.pid && current.startedAt === info.startedAt)
          fs.rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
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
