import { describe, expect, it } from 'vitest';
import { commandLine, commandSpec, parseCommand } from './commands.js';

describe('a command line printed for the user', () => {
  it('carries the configuration flags given, quoted for a shell, without the token', () => {
    const spec = commandSpec('doctor');
    if (!spec) throw new Error('no doctor');
    const parsed = parseCommand(spec, [
      '--config',
      '/etc/fleetline companion/config.json',
      '--token',
      `fld_${'A'.repeat(43)}`,
      '--data-dir',
      "/var/lib/it's",
      '--json',
    ]);
    expect(commandLine('forget-refusal', parsed.values)).toBe(
      `fleetline-companion forget-refusal --config '/etc/fleetline companion/config.json' --token fld_… --data-dir '/var/lib/it'\\''s'`,
    );
  });
});
