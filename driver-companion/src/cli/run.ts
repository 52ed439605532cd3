import { Companion } from '../companion.js';
import type { CompanionOptions } from '../companion.js';
import { ConfigError, formatProblem, loadConfig } from '../config/load.js';
import type { ConfigFlags } from '../config/load.js';
import type { CompanionConfig } from '../config/schema.js';
import { createLogger, messageOf } from '../util/logger.js';
import { EXIT_CONFIG } from './io.js';
import type { CliIo } from './io.js';

/** Loads the configuration, or prints every problem and returns null. */
export function configOrReport(
  io: CliIo,
  flags: ConfigFlags,
  overrides?: Record<string, unknown>,
): CompanionConfig | null {
  try {
    return loadConfig({ flags, env: io.env, cwd: io.cwd, ...(overrides ? { overrides } : {}) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err('fleetline-companion: invalid configuration');
    for (const problem of error.problems) io.err(`  - ${formatProblem(problem)}`);
    return null;
  }
}

/** `run`: the daemon, until SIGTERM or SIGINT. */
export async function runDaemon(
  io: CliIo,
  flags: ConfigFlags,
  options: {
    overrides?: Record<string, unknown>;
    devices?: CompanionOptions['devices'];
    onStarted?: (companion: Companion) => void;
  } = {},
): Promise<number> {
  const config = configOrReport(io, flags, options.overrides);
  if (!config) return EXIT_CONFIG;
  const logger = createLogger(config.log.level, { companion: config.name });
  let companion: Companion;
  try {
    companion = await Companion.start({
      config,
      logger,
      ...(options.devices ? { devices: options.devices } : {}),
    });
  } catch (error) {
    logger.fatal({ err: messageOf(error) }, 'companion could not start');
    io.err(`fleetline-companion: cannot start: ${messageOf(error)}`);
    return 1;
  }
  options.onStarted?.(companion);
  // The companion's own timers do not hold the process (a library must not);
  // the daemon lives until it is told to stop, whatever it is waiting for.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await io.stopSignal();
  clearInterval(keepAlive);
  logger.info({ signal }, 'stopping');
  await companion.stop();
  return 0;
}
