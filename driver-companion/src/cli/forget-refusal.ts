import fs from 'node:fs';
import path from 'node:path';
import { OUTBOX_FILE } from '../companion.js';
import { ConfigError, formatProblem, loadConfig, loadDataDir } from '../config/load.js';
import type { ConfigFlags } from '../config/load.js';
import type { CompanionConfig } from '../config/schema.js';
import { refusalHolds, refuser, tokenHash } from '../outbox/meta.js';
import type { Refusal } from '../outbox/meta.js';
import { removeRefusal } from '../outbox/refusal-record.js';
import type { RefusalRemoval } from '../outbox/refusal-record.js';
import { InstanceLockError, acquireInstanceLock, readInstance } from '../util/instance-lock.js';
import type { InstanceInfo, InstanceLock } from '../util/instance-lock.js';
import { messageOf } from '../util/logger.js';
import type { ParsedCommand } from './commands.js';
import { configFlags } from './commands.js';
import { EXIT_CONFIG } from './io.js';
import type { CliIo } from './io.js';

/**
 * `forget-refusal`: removes the refusal of the device token stored in the
 * outbox, so that `run` uses the token again (once the server accepts it:
 * doctor says so). Without it that took the sqlite3 tool, which a vehicle
 * may not have. Only with the daemon stopped: the data directory's lock is
 * taken for the change, so a daemon that holds it is refused and one that
 * starts meanwhile waits for its restart. It needs only the data
 * directory: the rest of the configuration may be invalid (what brought
 * the operator here may be a configuration being repaired).
 */
export function forgetRefusal(io: CliIo, parsed: ParsedCommand): number {
  const settings = settingsOrReport(io, configFlags(parsed.values));
  if (!settings) return EXIT_CONFIG;
  const { dataDir, name, config } = settings;
  const file = path.join(dataDir, OUTBOX_FILE);
  // A live holder by its record, before the lock is even tried: its pid and name for the message.
  const holder = readInstance(dataDir);
  if (holder) return held(io, dataDir, holder);
  // Taking the lock would create the directory: none, no outbox.
  if (!fs.existsSync(dataDir)) {
    io.out(`no outbox at ${file}: no refusal is stored, nothing to remove`);
    return 0;
  }
  let lock: InstanceLock;
  try {
    lock = acquireInstanceLock(dataDir, `${name} (forget-refusal)`);
  } catch (error) {
    if (error instanceof InstanceLockError) return held(io, dataDir, error.holder);
    io.err(
      `fleetline-companion: cannot take the lock of ${dataDir}: ${messageOf(error)}; nothing was removed. Run forget-refusal as root or as the companion's user.`,
    );
    return 1;
  }
  let removal: RefusalRemoval;
  try {
    removal = removeRefusal(file);
  } finally {
    lock.release();
  }
  switch (removal.kind) {
    case 'missing':
      io.out(`no outbox at ${file}: no refusal is stored, nothing to remove`);
      return 0;
    case 'none':
      io.out(`no refusal is stored in ${file}: nothing to remove`);
      return 0;
    case 'removed':
      io.out(`removed the refusal stored in ${file}: ${removed(removal.refusal, config)}`);
      return 0;
    case 'corrupt':
      io.err(
        `fleetline-companion: ${file} is corrupt (${removal.message}); nothing was removed. At its start the daemon moves it aside and begins a new outbox, which holds no refusal.`,
      );
      return 1;
    case 'newer':
      io.err(
        `fleetline-companion: ${file}: ${removal.message}; nothing was removed. Use the companion version that wrote it, or a later one.`,
      );
      return 1;
    case 'unopenable':
      io.err(
        `fleetline-companion: ${file} cannot be opened${removal.code ? ` (${removal.code})` : ''}: ${removal.message}; nothing was removed. Run forget-refusal as root or as the companion's user.`,
      );
      return 1;
  }
}

function held(io: CliIo, dataDir: string, holder: InstanceInfo | null): number {
  io.err(
    `fleetline-companion: a companion${holder ? ` (pid ${holder.pid}, "${holder.name}")` : ''} holds ${dataDir}; nothing was removed. Stop it (systemctl stop fleetline-companion), run forget-refusal again, then start it.`,
  );
  return 1;
}

/**
 * The whole configuration when it is valid; otherwise only the data
 * directory, its problems printed as a note. Null (printed) when not even
 * the data directory is known.
 */
function settingsOrReport(
  io: CliIo,
  flags: ConfigFlags,
): { dataDir: string; name: string; config: CompanionConfig | null } | null {
  const sources = { flags, env: io.env, cwd: io.cwd };
  let problems: ConfigError['problems'];
  try {
    const config = loadConfig(sources);
    return { dataDir: config.storage.dataDir, name: config.name, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  try {
    const { dataDir, name } = loadDataDir(sources);
    const where = [...new Set(problems.map((p) => p.path || p.source))].join(', ');
    io.err(
      `fleetline-companion: using the data directory ${dataDir}; the rest of the configuration is not valid (${where}: doctor says why), and forget-refusal does not need it`,
    );
    return { dataDir, name, config: null };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(
      'fleetline-companion: invalid configuration: it does not say where the data directory is (give it with --data-dir DIR)',
    );
    for (const problem of error.problems) io.err(`  - ${formatProblem(problem)}`);
    return null;
  }
}

/** What the removed record said, and what removing it changes for `run`. */
function removed(refusal: Refusal | null, config: CompanionConfig | null): string {
  if (!refusal) return 'a record that could not be read (run ignored it)';
  const token =
    config === null
      ? 'a token'
      : refusal.tokenHash === tokenHash(config.server.token)
        ? 'the configured token'
        : 'another token';
  const what = `${refuser(refusal)} refused ${token} at ${new Date(refusal.at).toISOString()}: ${refusal.type} (${refusal.message})`;
  if (config === null) {
    return `${what}. Whether it held for the configured token and server is not known: the configuration is invalid.`;
  }
  return refusalHolds(refusal, config.server.token, config.server.url)
    ? `${what}. run uses the token again at its next start.`
    : `${what}. It did not hold for the configured token and server (run would have removed it at its start).`;
}
