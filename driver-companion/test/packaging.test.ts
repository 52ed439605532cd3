import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { COMPANION_VERSION } from '../src/version.js';
import { COMPANION_DIR } from './support/process.js';

const read = (file: string) => fs.readFileSync(path.join(COMPANION_DIR, file), 'utf8');

describe('what ships beside the code', () => {
  it('the example configuration is valid as documented', () => {
    const config = loadConfig({
      flags: { config: path.join(COMPANION_DIR, 'config.example.json') },
      env: { FLEETLINE_DEVICE_TOKEN: `fld_${'e'.repeat(43)}` },
    });
    expect(config.devices.obd).toMatchObject({ transport: 'serial', baudRate: 38400 });
    expect(config.polling.pids).toHaveLength(10);
  });

  it('the systemd unit starts the bin the package declares, with the exit code that means "fix the configuration"', () => {
    const unit = read('systemd/fleetline-companion.service');
    const pkg = JSON.parse(read('package.json')) as {
      bin: Record<string, string>;
      version: string;
    };
    const bin = pkg.bin['fleetline-companion']?.replace(/^\.\//, '');
    expect(bin).toBe('dist/src/cli/main.js');
    expect(unit).toMatch(
      new RegExp(`^ExecStart=.*/driver-companion/${bin?.replace(/\./g, '\\.')} run --config `, 'm'),
    );
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
    expect(unit).toMatch(/^LoadCredential=device-token:/m);
    expect(unit).toMatch(/^StateDirectory=fleetline-companion$/m);
    expect(read('src/cli/main.ts').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.version).toBe(COMPANION_VERSION);
  });
});
