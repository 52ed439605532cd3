import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimulatorError } from '../errors.js';

/** Two linked pseudo-terminals: open one as the "device", give the other to the client. */
export interface PtyPair {
  /** Path the client opens as if it were /dev/ttyUSB0. */
  hostPath: string;
  /** Path the simulator opens. */
  devicePath: string;
  /** Kills socat: both ends see the device go away. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  socatPath?: string;
  timeoutMs?: number;
}

/**
 * Starts `socat pty,raw,echo=0 pty,raw,echo=0` (Debian package socat) so a
 * simulator sits behind a real tty and the client uses the same serial code
 * as for hardware.
 */
export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fleetline-pty-'));
  const hostPath = path.join(dir, 'host');
  const devicePath = path.join(dir, 'device');
  const child: ChildProcess = spawn(
    options.socatPath ?? 'socat',
    [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new SimulatorError(`cannot start socat (apt-get install socat): ${error.message}`, {
          cause: error,
        }),
      ),
    ),
  );
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const ready = (async () => {
    for (;;) {
      const both = await Promise.all([stat(hostPath), stat(devicePath)]).then(
        () => true,
        () => false,
      );
      if (both) return;
      if (child.exitCode !== null) throw new SimulatorError(`socat exited: ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new SimulatorError('socat did not create the pty pair in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    await close();
    throw error;
  }
  return { hostPath, devicePath, close };
}
