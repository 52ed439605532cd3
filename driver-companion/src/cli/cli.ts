import { COMPANION_VERSION } from '../version.js';
import {
  UsageError,
  commandHelp,
  commandSpec,
  configFlags,
  mainHelp,
  parseCommand,
} from './commands.js';
import type { CliIo } from './io.js';

/** Exit code for a command line that makes no sense (sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

/** Runs one command line; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const spec = topic ? commandSpec(topic) : undefined;
    io.out(spec ? commandHelp(spec) : mainHelp(COMPANION_VERSION));
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(COMPANION_VERSION);
    return 0;
  }
  const spec = commandSpec(name);
  if (!spec) {
    io.err(`fleetline-companion: unknown command "${name}"\n\n${mainHelp(COMPANION_VERSION)}`);
    return EXIT_USAGE;
  }
  try {
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      io.out(commandHelp(spec));
      return 0;
    }
    // Each command loads only what it needs: the daemon never pays for doctor's or simulate's code.
    switch (spec.name) {
      case 'run':
        return await (await import('./run.js')).runDaemon(io, configFlags(parsed.values));
      case 'scan':
        return await (await import('./scan.js')).scan(io, parsed);
      case 'doctor':
        return await (await import('./doctor.js')).doctor(io, parsed);
      case 'forget-refusal':
        return (await import('./forget-refusal.js')).forgetRefusal(io, parsed);
      case 'simulate':
        return await (await import('./simulate.js')).simulate(io, parsed);
      default:
        io.err(`fleetline-companion: ${spec.name} is not implemented`);
        return EXIT_USAGE;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`fleetline-companion ${error.message}\nTry: fleetline-companion ${spec.name} --help`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
