// A process that tries to take the instance lock of a data directory, for
// instance-lock.test.ts: it says `ready`, waits for a byte on stdin (the parent sends one
// to every locker of a round at once, so they try together), prints `held`
// or `refused`, and a holder keeps the lock until stdin closes (or until it
// is killed).
import fs from 'node:fs';
import { InstanceLockError, acquireInstanceLock } from './instance-lock.js';

const [dataDir, name] = process.argv.slice(2);
if (!dataDir || !name) throw new Error('usage: instance-lock.fixture.ts DATA_DIR NAME');
const byte = Buffer.alloc(1);
process.stdout.write('ready\n');
// Blocking reads of fd 0 (process.stdin is never opened, so it stays blocking).
fs.readSync(0, byte);
try {
  const lock = acquireInstanceLock(dataDir, name);
  process.stdout.write('held\n');
  while (fs.readSync(0, byte) > 0);
  lock.release();
} catch (error) {
  process.stdout.write(
    error instanceof InstanceLockError ? 'refused\n' : `error ${String(error)}\n`,
  );
}
