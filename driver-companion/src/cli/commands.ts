import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { ConfigFlags } from '../config/load.js';

/** Flags every command that reads the configuration accepts. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  name: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'data-dir': { type: 'string' },
  obd: { type: 'string' },
  gps: { type: 'string' },
  'log-level': { type: 'string' },
  'health-port': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const CONFIG_HELP = `Configuration (each overrides the environment, which overrides the file):
  -c, --config FILE       JSON configuration file (env FLEETLINE_CONFIG)
      --server URL        server, e.g. https://fleet.example (env FLEETLINE_SERVER_URL)
      --token-file FILE   file holding the device token (env FLEETLINE_DEVICE_TOKEN_FILE)
      --token TOKEN       the device token itself (visible to other users in ps;
                          prefer --token-file or env FLEETLINE_DEVICE_TOKEN)
      --data-dir DIR      where the outbox lives (env FLEETLINE_DATA_DIR)
      --obd SPEC          OBD adapter: serial:/dev/ttyUSB0@38400, tcp:192.168.0.10:35000,
                          ble[:ADDRESS|NAME], auto or none (env FLEETLINE_OBD)
      --gps SPEC          GPS receiver, same forms (env FLEETLINE_GPS)
      --log-level LEVEL   fatal, error, warn, info, debug, trace, silent
      --health-port PORT  health endpoint port on localhost; 0 any, off none
      --name NAME         label for logs and reports`;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'run',
    summary: 'run the daemon: read the devices, keep samples in the outbox, stream them',
    usage: 'fleetline-companion run [--config FILE] [flags]',
    options: CONFIG_OPTIONS,
    help: `${CONFIG_HELP}

Stops cleanly on SIGTERM or SIGINT (waits up to 5 s for replies to batches in
flight). Exit codes: 0 stopped, 1 crashed, 78 invalid configuration.`,
  },
  {
    name: 'scan',
    summary: 'list serial ports, Wi-Fi and BLE adapters that look like an ELM327 or a GPS receiver',
    usage: 'fleetline-companion scan [--no-probe] [--json] [--tcp HOST:PORT]...',
    options: {
      'no-probe': { type: 'boolean' },
      json: { type: 'boolean' },
      tcp: { type: 'string', multiple: true },
      'no-network': { type: 'boolean' },
      'no-ble': { type: 'boolean' },
      'health-port': { type: 'string' },
    },
    help: `Options:
      --no-probe          only list the serial ports, open nothing
      --no-network        do not try the usual Wi-Fi adapter (192.168.0.10:35000);
                          those given with --tcp are still tried
      --no-ble            do not scan for Bluetooth LE adapters
      --tcp HOST:PORT     also try this Wi-Fi adapter (repeatable)
      --json              machine-readable output
      --health-port PORT  where a running companion answers (default 7301): its
                          devices are reported, not probed

Probing is safe: it listens first (a GPS receiver talks by itself), then sends
ATI, which only makes an ELM327 print its version. Nothing is sent to the
vehicle and nothing is reset.`,
  },
  {
    name: 'doctor',
    summary: 'check configuration, devices and the server, and say what to fix',
    usage: 'fleetline-companion doctor [--config FILE] [flags] [--json] [--quick-check-timeout S]',
    options: {
      ...CONFIG_OPTIONS,
      json: { type: 'boolean' },
      'quick-check-timeout': { type: 'string' },
    },
    help: `${CONFIG_HELP}
      --json              machine-readable output
      --quick-check-timeout S
                          stop SQLite's check of every outbox page after S seconds
                          (default 30; 0: no limit); it runs beside the other checks

If a companion is running (its health endpoint answers), doctor reports what
it sees and leaves its devices and its connection alone; otherwise it opens
the devices and connects to the server once itself. Exit code 0 when all is
well, 1 when something needs fixing, 78 when the configuration is invalid.`,
  },
  {
    name: 'forget-refusal',
    summary: 'remove the stored refusal of the device token, once the server accepts it again',
    usage: 'fleetline-companion forget-refusal [--data-dir DIR | --config FILE] [flags]',
    options: CONFIG_OPTIONS,
    help: `${CONFIG_HELP}

When the server refuses the device token, the outbox keeps the refusal and
run does not use that token with that server again, even after a restart.
Once the server accepts the token again (doctor says so), this removes the
record and prints what it was. Stop the daemon first: forget-refusal changes
nothing while a companion holds the data directory. It needs only the data
directory (--data-dir alone will do); the rest of the configuration may be
invalid. Exit codes: 0 no refusal is stored any more (removed, or there was
none), 1 nothing was removed (a companion holds the data directory, or the
outbox cannot be opened), 78 the configuration does not say where the data
directory is (a configuration file that cannot be read, an invalid
storage.dataDir).`,
  },
  {
    name: 'simulate',
    summary: 'run the daemon against simulated devices on pseudo-terminals',
    usage: 'fleetline-companion simulate [--config FILE] [flags] [--city NAME] [--gps-hz N]',
    options: {
      ...CONFIG_OPTIONS,
      city: { type: 'string' },
      seed: { type: 'string' },
      'gps-hz': { type: 'string' },
      'engine-off': { type: 'boolean' },
      dtc: { type: 'string', multiple: true },
      link: { type: 'string' },
    },
    help: `${CONFIG_HELP}

Simulation:
      --city NAME         berlin, paris, madrid, warsaw or toronto (default berlin)
      --seed N            which route and driver (default 1)
      --gps-hz N          receiver rate, 1 to 10 (default 5)
      --engine-off        start with the ignition off (the adapter answers UNABLE TO CONNECT)
      --dtc CODE          a stored trouble code, e.g. P0301 (repeatable)
      --link pty|memory   pty (default; needs socat) puts the simulators behind real
                          pseudo-terminals and the companion opens them as serial
                          ports; memory skips the operating system

Everything else is the real daemon: the outbox, the uplink, the health endpoint.`,
  },
];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function mainHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `fleetline-companion ${version}: the Fleetline in-vehicle daemon

Usage: fleetline-companion <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

  fleetline-companion <command> --help   options of one command
  fleetline-companion --version

Documentation: driver-companion/README.md`;
}

export function commandHelp(spec: CommandSpec): string {
  return `${spec.summary}

Usage: ${spec.usage}

${spec.help}`;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedCommand {
  spec: CommandSpec;
  values: Record<string, string | boolean | string[] | undefined>;
  help: boolean;
}

/** Parses one command's arguments; unknown flags and stray words are usage errors. */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    const { help, ...rest } = values as Record<string, string | boolean | string[] | undefined>;
    return { spec, values: rest, help: help === true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${spec.name}: ${message.replace(/\. To specify.*$/s, '')}`);
  }
}

/**
 * A command line for another command with the configuration flags this one
 * was given, for a report to print. The token itself is not printed.
 */
export function commandLine(command: string, values: ParsedCommand['values']): string {
  const words = ['fleetline-companion', command];
  for (const flag of Object.keys(CONFIG_OPTIONS)) {
    const value = values[flag];
    if (typeof value === 'string') words.push(`--${flag}`, flag === 'token' ? 'fld_…' : value);
  }
  return words.map(shellWord).join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./…-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The configuration flags of a parsed command. */
export function configFlags(values: ParsedCommand['values']): ConfigFlags {
  const text = (key: string): string | undefined => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const flags: ConfigFlags = {};
  const set = (key: keyof ConfigFlags, value: string | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('config', text('config'));
  set('name', text('name'));
  set('server', text('server'));
  set('token', text('token'));
  set('tokenFile', text('token-file'));
  set('dataDir', text('data-dir'));
  set('obd', text('obd'));
  set('gps', text('gps'));
  set('logLevel', text('log-level'));
  set('healthPort', text('health-port'));
  return flags;
}
