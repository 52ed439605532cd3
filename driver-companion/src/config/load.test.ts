import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceSpec } from './device-spec.js';
import { ConfigError, loadConfig, loadDataDir } from './load.js';
import type { ConfigProblem } from './load.js';
import { DEFAULT_POLL_PLAN } from './schema.js';

const TOKEN = `fld_${'a'.repeat(43)}`;
const OTHER_TOKEN = `fld_${'b'.repeat(43)}`;
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-config-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(dir: string, content: unknown): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

function problemsOf(run: () => unknown): ConfigProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default from a minimal configuration', () => {
    const config = loadConfig({
      env: { FLEETLINE_SERVER_URL: 'https://fleet.example', FLEETLINE_DEVICE_TOKEN: TOKEN },
      cwd: '/srv',
    });
    expect(config.server).toEqual({ url: 'https://fleet.example', token: TOKEN });
    expect(config.devices).toEqual({ obd: { transport: 'auto' }, gps: { transport: 'auto' } });
    expect(config.polling.pids).toEqual(DEFAULT_POLL_PLAN);
    expect(config.storage).toMatchObject({
      dataDir: '/srv/companion-data',
      synchronous: 'FULL',
      maxDiskMb: 512,
      commitIntervalMs: 0,
    });
    expect(config.health).toEqual({ host: '127.0.0.1', port: 7301 });
  });

  it('takes flags over the environment over the file, and replaces a device whole', () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      name: 'Van 12',
      server: { url: 'https://file.example', token: TOKEN },
      devices: { obd: { transport: 'serial', path: '/dev/ttyUSB0', baudRate: 38400 } },
      polling: {
        pids: [
          { pid: 'SPEED', everyS: 0.5 },
          { pid: '0x05', everyS: 60 },
          { pid: 47, everyS: 120 },
        ],
      },
      storage: { dataDir: 'state' },
    });
    const config = loadConfig({
      flags: { config: file, server: 'https://flag.example' },
      env: {
        FLEETLINE_SERVER_URL: 'https://env.example',
        FLEETLINE_OBD: 'tcp:192.168.0.10',
        FLEETLINE_LOG_LEVEL: 'debug',
      },
      cwd: '/elsewhere',
    });
    expect(config.name).toBe('Van 12');
    expect(config.server.url).toBe('https://flag.example');
    // The serial path and baud rate do not leak into the TCP device.
    expect(config.devices.obd).toEqual({ transport: 'tcp', host: '192.168.0.10' });
    expect(config.log.level).toBe('debug');
    expect(config.polling.pids).toEqual([
      { pid: 0x0d, everyS: 0.5 },
      { pid: 0x05, everyS: 60 },
      { pid: 0x2f, everyS: 120 },
    ]);
    // Relative paths in a file are relative to the file.
    expect(config.storage.dataDir).toBe(path.join(dir, 'state'));
  });

  it('reports every problem at once, each with its path and the source that set it', () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      server: { url: 'ftp://fleet.example', token: `fls_${'x'.repeat(43)}` },
      devices: {
        obd: { transport: 'serial', path: '/dev/ttyUSB0', baudRate: 38401 },
        gps: { transport: 'usb' },
      },
      polling: {
        pids: [
          { pid: 'SPEED', everyS: 1 },
          { pid: 'WARP_DRIVE', everyS: 1 },
        ],
      },
      storage: { maxDiskMB: 100 },
    });
    const problems = problemsOf(() =>
      loadConfig({
        flags: { config: file, healthPort: 'eighty' },
        env: { FLEETLINE_GPS: 'bluetooth' },
      }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['server.url']?.message).toMatch(/http:\/\/ or https:\/\//);
    expect(byPath['server.url']?.source).toBe(`config file ${file}`);
    expect(byPath['server.token']?.message).toMatch(/console session token/);
    expect(byPath['devices.obd.baudRate']?.message).toMatch(/standard baud rate/);
    expect(byPath['polling.pids.1.pid']?.message).toMatch(/unknown PID "WARP_DRIVE"/);
    expect(byPath.storage?.message).toMatch(/maxDiskMB/);
    expect(byPath['health.port']).toMatchObject({ source: 'flag --health-port' });
    expect(byPath['devices.gps']).toMatchObject({ source: 'env FLEETLINE_GPS' });
    expect(byPath['devices.gps']?.message).toMatch(/serial:PATH/);
  });

  it('refuses a PID planned twice, a support bitmask, and a period below 0.2 s', () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      server: { url: 'https://fleet.example', token: TOKEN },
      polling: {
        pids: [
          { pid: 'SPEED', everyS: 1 },
          { pid: 13, everyS: 2 },
        ],
      },
    });
    const [twice] = problemsOf(() => loadConfig({ flags: { config: file }, env: {} }));
    expect(twice).toMatchObject({
      path: 'polling.pids.1.pid',
      message: 'PID 0x0D is already planned at pids.0',
    });
    const other = writeConfig(dir, {
      server: { url: 'https://fleet.example', token: TOKEN },
      polling: {
        pids: [
          { pid: '0x20', everyS: 1 },
          { pid: 'RPM', everyS: 0.01 },
        ],
      },
    });
    const problems = problemsOf(() => loadConfig({ flags: { config: other }, env: {} }));
    expect(problems.map((p) => p.path)).toEqual(['polling.pids.0.pid', 'polling.pids.1.everyS']);
    expect(problems[0]?.message).toMatch(/support bitmask/);
  });

  it('says where a JSON file is broken, and when the file is missing', () => {
    const dir = tempDir();
    const broken = writeConfig(dir, '{\n  "server": {\n    "url": "https://x.example",,\n  }\n}');
    const [parse] = problemsOf(() => loadConfig({ flags: { config: broken }, env: {} }));
    expect(parse?.message).toMatch(/not valid JSON: .*line 3, column/);
    const [missing] = problemsOf(() =>
      loadConfig({ flags: { config: path.join(dir, 'nope.json') }, env: {} }),
    );
    expect(missing?.message).toBe('the file does not exist');
    const [array] = problemsOf(() =>
      loadConfig({ flags: { config: writeConfig(dir, '[]') }, env: {} }),
    );
    expect(array?.message).toBe('must hold a JSON object');
  });

  it('says a missing token was set nowhere, and how to set it', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { FLEETLINE_SERVER_URL: 'https://fleet.example' } }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'server.token',
        source: 'not set anywhere',
        message: expect.stringMatching(/tokenFile/) as string,
      }),
    ]);
  });

  it('reads the token from a file relative to the config, and checks what it holds', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'token'), `${OTHER_TOKEN}\n`);
    const file = writeConfig(dir, { server: { url: 'https://fleet.example', tokenFile: 'token' } });
    expect(loadConfig({ flags: { config: file }, env: {} }).server.token).toBe(OTHER_TOKEN);

    fs.writeFileSync(path.join(dir, 'token'), 'hunter2');
    const [bad] = problemsOf(() => loadConfig({ flags: { config: file }, env: {} }));
    expect(bad).toMatchObject({
      path: 'server.tokenFile',
      message: expect.stringMatching(/must be a device token/) as string,
    });

    fs.rmSync(path.join(dir, 'token'));
    const [unreadable] = problemsOf(() => loadConfig({ flags: { config: file }, env: {} }));
    expect(unreadable?.message).toMatch(/cannot read .*token: ENOENT/);

    const both = writeConfig(dir, {
      server: { url: 'https://fleet.example', token: TOKEN, tokenFile: 'token' },
    });
    const problems = problemsOf(() => loadConfig({ flags: { config: both }, env: {} }));
    expect(problems.map((p) => p.message)).toContain(
      'set either server.token or server.tokenFile, not both',
    );
  });

  it('lets a higher source’s token or token file replace a lower source’s, whichever key each uses', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'token'), `${OTHER_TOKEN}\n`);
    const withFile = writeConfig(dir, {
      server: { url: 'https://fleet.example', tokenFile: 'token' },
    });
    // The file names a token file; the environment, then a flag, give the token itself.
    expect(
      loadConfig({ flags: { config: withFile }, env: { FLEETLINE_DEVICE_TOKEN: TOKEN } }).server
        .token,
    ).toBe(TOKEN);
    expect(loadConfig({ flags: { config: withFile, token: TOKEN }, env: {} }).server.token).toBe(
      TOKEN,
    );
    // And the reverse: the file holds the token, a variable or a flag names a token file.
    const withToken = path.join(dir, 'with-token.json');
    fs.writeFileSync(
      withToken,
      JSON.stringify({ server: { url: 'https://fleet.example', token: TOKEN } }),
    );
    expect(
      loadConfig({
        flags: { config: withToken },
        env: { FLEETLINE_DEVICE_TOKEN_FILE: path.join(dir, 'token') },
      }).server.token,
    ).toBe(OTHER_TOKEN);
    expect(
      loadConfig({ flags: { config: withToken, tokenFile: 'token' }, env: {}, cwd: dir }).server
        .token,
    ).toBe(OTHER_TOKEN);
    // A flag wins over the environment the same way.
    expect(
      loadConfig({
        flags: { config: withFile, token: TOKEN },
        env: { FLEETLINE_DEVICE_TOKEN_FILE: path.join(dir, 'token') },
      }).server.token,
    ).toBe(TOKEN);
  });

  it('refuses a token and a token file given by the same source, and names that source', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'token'), `${OTHER_TOKEN}\n`);
    const file = writeConfig(dir, { server: { url: 'https://fleet.example' } });
    const notBoth = 'set either server.token or server.tokenFile, not both';
    const fromEnv = problemsOf(() =>
      loadConfig({
        flags: { config: file },
        env: {
          FLEETLINE_DEVICE_TOKEN: TOKEN,
          FLEETLINE_DEVICE_TOKEN_FILE: path.join(dir, 'token'),
        },
      }),
    );
    expect(fromEnv).toEqual([
      {
        path: 'server.tokenFile',
        message: notBoth,
        source: 'env FLEETLINE_DEVICE_TOKEN and env FLEETLINE_DEVICE_TOKEN_FILE',
      },
    ]);
    const fromFlags = problemsOf(() =>
      loadConfig({ flags: { config: file, token: TOKEN, tokenFile: 'token' }, env: {}, cwd: dir }),
    );
    expect(fromFlags).toEqual([
      { path: 'server.tokenFile', message: notBoth, source: 'flag --token and flag --token-file' },
    ]);
    // Both in the file is the file's problem, even when a flag sets the URL.
    const both = writeConfig(dir, {
      server: { url: 'https://fleet.example', token: TOKEN, tokenFile: 'token' },
    });
    expect(
      problemsOf(() =>
        loadConfig({ flags: { config: both, server: 'https://x.example' }, env: {} }),
      ),
    ).toEqual([{ path: 'server.tokenFile', message: notBoth, source: `config file ${both}` }]);
  });

  it('uses systemd’s state directory and device-token credential when nothing else says otherwise', () => {
    const credentials = tempDir();
    fs.writeFileSync(path.join(credentials, 'device-token'), TOKEN);
    const config = loadConfig({
      env: {
        FLEETLINE_SERVER_URL: 'https://fleet.example',
        STATE_DIRECTORY: '/var/lib/fleetline-companion',
        CREDENTIALS_DIRECTORY: credentials,
      },
    });
    expect(config.server.token).toBe(TOKEN);
    expect(config.storage.dataDir).toBe('/var/lib/fleetline-companion');
    // An explicit data directory still wins.
    const explicit = loadConfig({
      env: {
        FLEETLINE_SERVER_URL: 'https://fleet.example',
        FLEETLINE_DEVICE_TOKEN: TOKEN,
        STATE_DIRECTORY: '/var/lib/fleetline-companion',
        FLEETLINE_DATA_DIR: '/data/companion',
      },
    });
    expect(explicit.storage.dataDir).toBe('/data/companion');
  });

  it('treats an empty variable as unset and refuses reconnect delays that go backwards', () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      server: { url: 'https://fleet.example', token: TOKEN },
      uplink: { reconnectMinS: 30, reconnectMaxS: 5 },
    });
    const problems = problemsOf(() =>
      loadConfig({ flags: { config: file }, env: { FLEETLINE_OBD: '' } }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'uplink.reconnectMaxS',
        message: 'must not be smaller than uplink.reconnectMinS',
      }),
    ]);
  });
});

describe('loadDataDir', () => {
  it('finds the data directory as loadConfig does, in a configuration invalid elsewhere', () => {
    const dir = tempDir();
    // No token, a bad device and a misspelt key: loadConfig refuses it, the directory is still known.
    const file = writeConfig(dir, {
      name: 'Van 12',
      server: { url: 'not a url' },
      devices: { obd: { transport: 'serial' } },
      storage: { dataDir: 'state', maxDiskMb: -1 },
      uplnk: {},
    });
    expect(() => loadConfig({ flags: { config: file }, env: {} })).toThrow(ConfigError);
    expect(loadDataDir({ flags: { config: file }, env: {} })).toEqual({
      dataDir: path.join(dir, 'state'),
      name: 'Van 12',
    });
    // The same precedence: flag over environment over file over systemd, relative to where each was said.
    expect(
      loadDataDir({ flags: { config: file }, env: { FLEETLINE_DATA_DIR: 'env-dir' }, cwd: '/srv' })
        .dataDir,
    ).toBe('/srv/env-dir');
    expect(
      loadDataDir({ flags: { config: file, dataDir: '/var/lib/x' }, env: {}, cwd: '/srv' }).dataDir,
    ).toBe('/var/lib/x');
    expect(loadDataDir({ env: { STATE_DIRECTORY: '/var/lib/fc' }, cwd: '/srv' })).toEqual({
      dataDir: '/var/lib/fc',
      name: 'companion',
    });
    expect(loadDataDir({ env: {}, cwd: '/srv' }).dataDir).toBe('/srv/companion-data');
  });

  it('refuses when the sources do not say where it is: a file it cannot read, unless a higher source says', () => {
    const dir = tempDir();
    const missing = path.join(dir, 'missing.json');
    expect(problemsOf(() => loadDataDir({ flags: { config: missing }, env: {} }))).toEqual([
      { path: '', message: 'the file does not exist', source: `config file ${missing}` },
    ]);
    // systemd's directory is the lowest source: the file might have said otherwise.
    const broken = writeConfig(dir, '{ "storage": { "dataDir": "state" ');
    expect(
      problemsOf(() =>
        loadDataDir({ flags: { config: broken }, env: { STATE_DIRECTORY: '/var/lib/fc' } }),
      ),
    ).toMatchObject([{ path: '', source: `config file ${broken}` }]);
    expect(
      loadDataDir({ flags: { config: broken, dataDir: '/var/lib/fc' }, env: {} }).dataDir,
    ).toBe('/var/lib/fc');
    expect(
      loadDataDir({ flags: { config: broken }, env: { FLEETLINE_DATA_DIR: '/var/lib/fc' } })
        .dataDir,
    ).toBe('/var/lib/fc');

    const file = writeConfig(dir, { storage: { dataDir: '' } });
    expect(problemsOf(() => loadDataDir({ flags: { config: file }, env: {} }))).toMatchObject([
      { path: 'storage.dataDir', source: `config file ${file}` },
    ]);
    writeConfig(dir, { storage: 'state' });
    expect(problemsOf(() => loadDataDir({ flags: { config: file }, env: {} }))).toEqual([
      { path: 'storage', message: 'expected an object', source: `config file ${file}` },
    ]);
  });
});

describe('parseDeviceSpec', () => {
  it.each([
    ['serial:/dev/ttyUSB0@38400', { transport: 'serial', path: '/dev/ttyUSB0', baudRate: 38400 }],
    ['/dev/rfcomm0', { transport: 'serial', path: '/dev/rfcomm0' }],
    [
      'serial:/dev/serial/by-id/usb-u-blox_GNSS-if00@9600',
      { transport: 'serial', path: '/dev/serial/by-id/usb-u-blox_GNSS-if00', baudRate: 9600 },
    ],
    ['tcp:192.168.0.10:35000', { transport: 'tcp', host: '192.168.0.10', port: 35000 }],
    ['tcp:[fe80::1]:35000', { transport: 'tcp', host: 'fe80::1', port: 35000 }],
    ['tcp:obd.local', { transport: 'tcp', host: 'obd.local' }],
    ['ble', { transport: 'ble' }],
    ['ble:AA:BB:CC:DD:EE:FF', { transport: 'ble', address: 'AA:BB:CC:DD:EE:FF' }],
    ['ble:OBDII', { transport: 'ble', name: 'OBDII' }],
    ['auto', { transport: 'auto' }],
    ['none', { transport: 'none' }],
  ])('reads %s', (spec, expected) => {
    expect(parseDeviceSpec(spec)).toEqual(expected);
  });

  it.each(['serial:', 'serial:/dev/ttyUSB0@fast', 'tcp:', 'ble:', 'usb', 'COM3'])(
    'refuses %s with a hint',
    (spec) => {
      const parsed = parseDeviceSpec(spec);
      expect(parsed).toHaveProperty('error');
    },
  );
});
