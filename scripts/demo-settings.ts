import { DEFAULT_DEMO_FLEET_SIZE, DEMO_CITIES } from '@fleetline/driver-companion';
import { ConfigError } from '@fleetline/server';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface DemoSettings {
  /** Companions to run; 0 runs none. */
  vehicles: number;
  city: string;
  logLevel: string;
}

/**
 * The demo fleet's settings for `npm start`, read by the same rules as the
 * server's (server/src/config.ts): an empty variable is unset, a number is
 * plain decimal digits, and every problem is reported at once, before
 * anything starts.
 */
export function demoSettings(env: NodeJS.ProcessEnv): DemoSettings {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];

  let vehicles = DEFAULT_DEMO_FLEET_SIZE;
  const count = value('DEMO_VEHICLES');
  if (count !== undefined) {
    vehicles = /^\d+$/.test(count) ? Number(count) : NaN;
    if (!(vehicles >= 0 && vehicles <= 5000))
      problems.push('DEMO_VEHICLES: must be a whole number from 0 to 5000, in decimal digits');
  }
  const city = value('DEMO_CITY') ?? 'berlin';
  if (!(city in DEMO_CITIES))
    problems.push(`DEMO_CITY: must be one of ${Object.keys(DEMO_CITIES).join(', ')}`);
  const logLevel = value('DEMO_LOG_LEVEL') ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`DEMO_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);

  if (problems.length > 0) throw new ConfigError(problems);
  return { vehicles, city, logLevel };
}
