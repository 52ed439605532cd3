import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/cli.js';
import type { CliIo } from '../src/cli/io.js';
import { Companion, OUTBOX_FILE } from '../src/companion.js';
import { loadConfig } from '../src/config/load.js';
import { Outbox, tokenHash } from '../src/outbox/outbox.js';
import { damageLeafPage } from '../src/outbox/outbox-kit.fixture.js';
import { GUARD_FILE } from '../src/util/instance-lock.js';
import { createLogger } from '../src/util/logger.js';
import { freePort } from './support/process.js';
import { eventually, registerVehicle, startTestServer } from './support/server.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TOKEN = `fld_${'A'.repeat(43)}`;
const OTHER_TOKEN = `fld_${'B'.repeat(43)}`;

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-doctor-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a CLI command in this process, with its output captured. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIo = {
    out: (text) => (out += `${text}\n`),
    err: (text) => (out += `${text}\n`),
    env: {},
    cwd: os.tmpdir(),
    stopSignal: () => new Promise(() => undefined),
  };
  const code = await runCli(args, io);
  return { code, out };
}

function writeConfig(dir: string, values: object): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

/** The outbox files' bytes and what they hold, to tell that doctor changed nothing. */
function fingerprint(dataDir: string): { files: Record<string, string>; rows: unknown } {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dataDir).sort()) {
    // An empty -wal and the -shm are a reader's bookkeeping beside a file closed cleanly.
    if (
      name.endsWith('-shm') ||
      (name.endsWith('-wal') && fs.statSync(path.join(dataDir, name)).size === 0)
    )
      continue;
    files[name] = createHash('sha256')
      .update(fs.readFileSync(path.join(dataDir, name)))
      .digest('hex');
  }
  const db = new Database(path.join(dataDir, OUTBOX_FILE), { readonly: true });
  try {
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const rows = {
      samples: count('samples'),
      events: count('events'),
      meta: db.prepare('SELECT key, value FROM meta ORDER BY key').all(),
    };
    return { files, rows };
  } finally {
    db.close();
  }
}

/** The refusal stored in an outbox, read without the outbox's code. */
function storedRefusal(dataDir: string): unknown {
  const db = new Database(path.join(dataDir, OUTBOX_FILE), { readonly: true });
  try {
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'refusal'`).get() as
      { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : null;
  } finally {
    db.close();
  }
}

describe('doctor', () => {
  it('leaves an outbox over its disk bound as it is, and says what the daemon will do to it', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const outbox = Outbox.open({
      file: path.join(dataDir, OUTBOX_FILE),
      maxBytes: 64 << 20,
      synchronous: 'NORMAL',
      logger,
    });
    const t0 = Date.UTC(2026, 10, 20, 7, 0, 0);
    for (let minute = 0; minute < 100; minute += 1) {
      outbox.append([
        ...Array.from({ length: 60 }, (_, s) => ({
          kind: 'position' as const,
          t: t0 + (minute * 60 + s) * 1000,
          lat: 52.5 + minute / 1000,
          lon: 13.4 + s / 1e5,
          speedKmh: 30,
          fixQuality: 'gps' as const,
        })),
        {
          kind: 'driving' as const,
          t: t0 + minute * 60_000,
          event: 'harsh_braking' as const,
          accelMs2: -5,
          speedKmh: 40,
        },
      ]);
    }
    outbox.close();
    const before = fingerprint(dataDir);
    expect(before.rows).toMatchObject({ samples: 6000, events: 100 });

    const config = writeConfig(dir, {
      name: 'Van 12',
      server: { url: `http://127.0.0.1:${await freePort()}`, token: TOKEN },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      // The bound lowered since the outbox filled: the daemon would thin at its start.
      storage: { dataDir, maxDiskMb: 1 },
      health: { port: null },
    });
    const report = await cli(['doctor', '--config', config]);
    expect(report.out).toContain(
      'info  outbox: 6100 sample(s) waiting (oldest from 2026-11-20T07:00:00.000Z); last sequence number 6100;',
    );
    expect(report.out).toMatch(
      /warn {2}outbox: [\d.]+ MB of data, past the 0\.8 MB positions and readings may fill under storage\.maxDiskMb 1: at its start the daemon thins the older half of the positions and readings/,
    );
    expect(fingerprint(dataDir)).toEqual(before);
  });

  it('reports an outbox SQLite cannot read and leaves it where it is', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    fs.mkdirSync(dataDir);
    const file = path.join(dataDir, OUTBOX_FILE);
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    const config = writeConfig(dir, {
      name: 'Van 12',
      server: { url: `http://127.0.0.1:${await freePort()}`, token: TOKEN },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      storage: { dataDir },
      health: { port: null },
    });
    const before = fs.readFileSync(file);

    const report = await cli(['doctor', '--config', config]);
    expect(report.code).toBe(1);
    expect(report.out).toContain(
      `FAIL  outbox: ${file} is corrupt (file is not a database): at its start the daemon moves it aside`,
    );
    expect(fs.readdirSync(dataDir)).toEqual([OUTBOX_FILE]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('finds a page damaged in the middle of the outbox, which opening it does not see, and leaves the file as it is', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const file = path.join(dataDir, OUTBOX_FILE);
    const outbox = Outbox.open({ file, maxBytes: 64 << 20, synchronous: 'NORMAL', logger });
    const t0 = Date.UTC(2026, 10, 20, 7, 0, 0);
    for (let batch = 0; batch < 10; batch += 1) {
      outbox.append(
        Array.from({ length: 1000 }, (_, i) => ({
          kind: 'position' as const,
          t: t0 + (batch * 1000 + i) * 100,
          lat: 52.5,
          lon: 13.4 + i / 1e5,
          speedKmh: 30,
          fixQuality: 'gps' as const,
        })),
      );
    }
    outbox.close();
    const config = writeConfig(dir, {
      name: 'Van 12',
      server: { url: `http://127.0.0.1:${await freePort()}`, token: TOKEN },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      storage: { dataDir },
      health: { port: null },
    });
    const intact = await cli(['doctor', '--config', config]);
    expect(intact.out).toMatch(
      /ok {4}outbox: no damaged page \(PRAGMA quick_check over [\d.]+ MB in [\d.]+ s\)/,
    );

    // A page in the middle of the file goes bad (an SD card wearing out).
    const page = damageLeafPage(file, 'samples');
    const hash = () => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const before = hash();
    const report = await cli(['doctor', '--config', config]);
    expect(report.code).toBe(1);
    // The read-only inspection, like the daemon's open, reads no such page.
    expect(report.out).toContain('ok    outbox: 10000 sample(s) waiting');
    expect(report.out).toContain(
      `FAIL  outbox: ${file} has damaged pages in samples (PRAGMA quick_check: Tree `,
    );
    expect(report.out).toContain(`page ${page}: `);
    expect(report.out).toContain(
      `the daemon opens it all the same, and the first time it reads a damaged page (at its start if it is one it reads then, otherwise when it sends, thins or deletes the samples stored there) it moves the file aside (${OUTBOX_FILE}.corrupt-<time>) and begins a new outbox`,
    );
    expect(report.out).toContain(`fix: to keep what waits, copy ${file}`);
    expect(hash()).toBe(before);
    expect(fs.readdirSync(dataDir).filter((name) => name.includes('.corrupt-'))).toEqual([]);

    // Stopped at its deadline, it says what is left unchecked.
    const hurried = await cli(['doctor', '--config', config, '--quick-check-timeout', '0.001']);
    expect(hurried.out).toMatch(
      /warn {2}outbox: the integrity check \(PRAGMA quick_check\) of .* did not finish within [\d.]+ s and was stopped/,
    );
    expect(hash()).toBe(before);
    const usage = await cli(['doctor', '--config', config, '--quick-check-timeout', 'soon']);
    expect(usage.code).toBe(64);

    // What doctor said of the daemon: it opens the file, and moves it aside once it reads the page.
    const daemon = Outbox.open({ file, maxBytes: 64 << 20, synchronous: 'NORMAL', logger });
    cleanups.push(() => daemon.close());
    expect(daemon.pending).toBe(10_000);
    expect(() => daemon.read(0, null, 10_000)).toThrow(/malformed/);
    expect(fs.readdirSync(dataDir).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
    expect(daemon.pending).toBe(0);
  });

  it('reports a stored refusal of the configured token when the server cannot be reached', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const outbox = Outbox.open({
      file: path.join(dataDir, OUTBOX_FILE),
      maxBytes: 64 << 20,
      synchronous: 'NORMAL',
      logger,
    });
    const at = Date.UTC(2026, 10, 20, 7, 0, 0);
    outbox.setRefusal({
      type: 'device-token-revoked',
      message: 'The device token was revoked',
      at,
      tokenHash: tokenHash(TOKEN),
    });
    outbox.close();
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const config = (token: string) =>
      writeConfig(dir, {
        name: 'Van 12',
        server: { url: nobody, token },
        devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
        storage: { dataDir },
        health: { port: null },
      });

    const offline = await cli(['doctor', '--config', config(TOKEN)]);
    expect(offline.code).toBe(1);
    expect(offline.out).toMatch(/FAIL {2}server: http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    expect(offline.out).toContain(
      `FAIL  device token: refused by the server at ${new Date(at).toISOString()}: device-token-revoked (The device token was revoked); run will not use this token again`,
    );
    expect(offline.out).toContain('fix: the token was revoked or replaced: get a new one');

    // A new token in the configuration: the old refusal is only a note.
    const renewed = await cli(['doctor', '--config', config(OTHER_TOKEN)]);
    expect(renewed.out).not.toContain('FAIL  device token');
    expect(renewed.out).toContain(
      'info  device token: an older token was refused (device-token-revoked); the configured one is different',
    );
  });

  it('holds a stored refusal only for the server that gave it, and says which server that was', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const at = Date.UTC(2026, 10, 20, 7, 0, 0);
    const store = (serverUrl: string) => {
      const outbox = Outbox.open({
        file: path.join(dataDir, OUTBOX_FILE),
        maxBytes: 64 << 20,
        synchronous: 'NORMAL',
        logger,
      });
      outbox.setRefusal({
        type: 'device-token-invalid',
        message: 'Unknown device token',
        at,
        tokenHash: tokenHash(TOKEN),
        serverUrl,
      });
      outbox.close();
    };
    const config = writeConfig(dir, {
      name: 'Van 12',
      // Spelled with a trailing slash: the same server as the record's.
      server: { url: `${nobody}/`, token: TOKEN },
      devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
      storage: { dataDir },
      health: { port: null },
    });

    // Refused while server.url named another server, corrected since: the record does not hold.
    store('https://fleet.example.com/other');
    const corrected = await cli(['doctor', '--config', config]);
    expect(corrected.out).not.toContain('FAIL  device token');
    expect(corrected.out).toContain(
      `info  device token: https://fleet.example.com/other refused this token (device-token-invalid) at ${new Date(at).toISOString()}; the configured server is ${nobody}, so it does not matter (run removes the record at its start)`,
    );

    // Refused by the configured server: it holds, and the report names the server.
    store(nobody);
    const refused = await cli(['doctor', '--config', config]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      `FAIL  device token: refused by ${nobody} at ${new Date(at).toISOString()}: device-token-invalid (Unknown device token); run will not use this token again`,
    );
    expect(refused.out).toContain('correcting server.url is enough');
  });

  it(
    'says a refusal stored of a token the server accepts now stops run and names the command that removes it',
    { timeout: 30_000 },
    async () => {
      const s = await startTestServer();
      cleanups.push(async () => {
        await s.stop().catch(() => undefined);
        fs.rmSync(s.dir, { recursive: true, force: true });
      });
      const vehicle = await registerVehicle(s.server, 'Doctor 3');
      const dir = tempDir();
      const dataDir = path.join(dir, 'state');
      const file = path.join(dataDir, OUTBOX_FILE);
      const outbox = Outbox.open({ file, maxBytes: 64 << 20, synchronous: 'NORMAL', logger });
      const at = Date.UTC(2026, 10, 20, 7, 0, 0);
      outbox.setRefusal({
        type: 'device-token-invalid',
        message: 'Unknown device token',
        at,
        tokenHash: tokenHash(vehicle.token),
      });
      outbox.close();
      const before = fingerprint(dataDir);
      const config = writeConfig(dir, {
        name: 'Van 12',
        server: { url: s.url, token: vehicle.token },
        devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
        storage: { dataDir },
        health: { port: null },
      });

      const report = await cli(['doctor', '--config', config]);
      expect(report.code).toBe(1);
      expect(report.out).toContain('ok    device token: accepted');
      expect(report.out).toContain(
        `FAIL  device token: the server accepts it now, but a server (the record does not say which) refused it at ${new Date(at).toISOString()} (device-token-invalid) and the outbox keeps that: run will not use this token while it does`,
      );
      const forget = `fleetline-companion forget-refusal --config ${config}`;
      expect(report.out).toContain(
        `fix: with the daemon stopped, remove the record: ${forget} (or install a new token)`,
      );
      expect(fingerprint(dataDir)).toEqual(before);
      const args = forget.split(' ').slice(1);

      // The daemon holds the outbox (refused, as the record says): forget-refusal leaves it alone.
      const daemon = await Companion.start({
        config: loadConfig({ env: {}, flags: { config } }),
        logger,
      });
      cleanups.push(() => daemon.stop());
      expect(daemon.status().uplink.state).toBe('refused');
      const whileRunning = await cli(args);
      expect(whileRunning.code).toBe(1);
      expect(whileRunning.out).toContain(
        `fleetline-companion: a companion (pid ${process.pid}, "Van 12") holds ${dataDir}; nothing was removed. Stop it`,
      );
      expect(storedRefusal(dataDir)).not.toBeNull();
      await daemon.stop();

      // Stopped: the record goes, and what it said is printed.
      const forgotten = await cli(args);
      expect(forgotten.code).toBe(0);
      expect(forgotten.out).toBe(
        `removed the refusal stored in ${file}: the server refused the configured token at ${new Date(at).toISOString()}: device-token-invalid (Unknown device token). run uses the token again at its next start.\n`,
      );
      expect(storedRefusal(dataDir)).toBeNull();
      expect(fs.existsSync(path.join(dataDir, 'companion.lock'))).toBe(false);
      const again = await cli(args);
      expect(again).toEqual({
        code: 0,
        out: `no refusal is stored in ${file}: nothing to remove\n`,
      });

      const healthy = await cli(['doctor', '--config', config]);
      expect(healthy.out).not.toContain('FAIL');
      expect(healthy.code).toBe(0);
      const restarted = await Companion.start({
        config: loadConfig({ env: {}, flags: { config } }),
        logger,
      });
      cleanups.push(() => restarted.stop());
      await eventually(
        () => (restarted.status().uplink.state === 'connected' ? true : undefined),
        10_000,
        'connected with the token',
      );
    },
  );

  it(
    'says a new outbox that recorded more than the server holds is renumbered at its first hello',
    { timeout: 30_000 },
    async () => {
      const s = await startTestServer();
      cleanups.push(async () => {
        await s.stop().catch(() => undefined);
        fs.rmSync(s.dir, { recursive: true, force: true });
      });
      const vehicle = await registerVehicle(s.server, 'Doctor 2');
      const now = Date.now();
      const positions = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          kind: 'position' as const,
          t: now - 60_000 + i * 1000,
          lat: 52.5,
          lon: 13.4,
          fixQuality: 'gps' as const,
        }));
      const configFor = (dataDir: string, dir: string) =>
        writeConfig(dir, {
          name: 'Van 12',
          server: { url: s.url, token: vehicle.token },
          devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
          storage: { dataDir, synchronous: 'NORMAL' },
          uplink: { sendIntervalMs: 50, reconnectMinS: 0.1, reconnectMaxS: 0.5 },
          health: { port: null },
        });
      const seed = (dataDir: string, n: number) => {
        const outbox = Outbox.open({
          file: path.join(dataDir, OUTBOX_FILE),
          maxBytes: 64 << 20,
          synchronous: 'NORMAL',
          logger,
        });
        outbox.append(positions(n));
        outbox.close();
      };

      // The vehicle's first card: five samples, all stored by the server (seq 1 to 5).
      const firstDir = tempDir();
      const firstData = path.join(firstDir, 'state');
      seed(firstData, 5);
      const first = await Companion.start({
        config: loadConfig({ env: {}, flags: { config: configFor(firstData, firstDir) } }),
        logger,
      });
      cleanups.push(() => first.stop());
      await eventually(
        () => {
          const status = first.status();
          return status.uplink.state === 'connected' && status.outbox.pending === 0
            ? true
            : undefined;
        },
        10_000,
        'the first card drained',
      );
      await first.stop();

      // A new card that recorded eight before it ever reached the server: numbers 1 to 8.
      const dir = tempDir();
      const dataDir = path.join(dir, 'state');
      seed(dataDir, 8);
      const report = await cli(['doctor', '--config', configFor(dataDir, dir)]);
      expect(report.out).toContain('ok    device token: accepted');
      expect(report.out).toContain(
        "info  outbox: this outbox has not completed a hello yet (a new or wiped card, or a corrupt file moved aside): it numbered from 1 without knowing the server's numbers; at its first hello the daemon renumbers all 8 waiting sample(s) above the server's seq 5, from 6 on, in order",
      );
    },
  );

  it(
    'reports samples the server rejected with the daemon running, also after the daemon restarted',
    { timeout: 30_000 },
    async () => {
      const s = await startTestServer();
      cleanups.push(async () => {
        await s.stop().catch(() => undefined);
        fs.rmSync(s.dir, { recursive: true, force: true });
      });
      const vehicle = await registerVehicle(s.server, 'Doctor 1');
      const dir = tempDir();
      const dataDir = path.join(dir, 'state');
      // Waiting from a previous run: one good position and one stamped an hour ahead,
      // which the server rejects for good ("t").
      const seeded = Outbox.open({
        file: path.join(dataDir, OUTBOX_FILE),
        maxBytes: 64 << 20,
        synchronous: 'NORMAL',
        logger,
      });
      const now = Date.now();
      seeded.append([
        { kind: 'position', t: now - 1000, lat: 52.5, lon: 13.4, fixQuality: 'gps' },
        { kind: 'position', t: now + 3_600_000, lat: 52.5, lon: 13.4, fixQuality: 'gps' },
      ]);
      seeded.close();
      const values = {
        name: 'Van 12',
        server: { url: s.url, token: vehicle.token },
        devices: { obd: { transport: 'none' }, gps: { transport: 'none' } },
        storage: { dataDir, synchronous: 'NORMAL' },
        uplink: { sendIntervalMs: 50, reconnectMinS: 0.1, reconnectMaxS: 0.5 },
        health: { port: 0 },
      };
      const configFile = writeConfig(dir, values);
      const start = () =>
        Companion.start({ config: loadConfig({ env: {}, flags: { config: configFile } }), logger });

      let companion = await start();
      cleanups.push(() => companion.stop());
      await eventually(
        () => (companion.status().outbox.counters.rejectedByServer === 1 ? true : undefined),
        10_000,
        'the rejection',
      );
      await companion.stop();

      // A new start: the sender's count is zero, the outbox remembers.
      companion = await start();
      await eventually(
        () => (companion.status().uplink.state === 'connected' ? true : undefined),
        10_000,
        'connected again',
      );
      expect(companion.status().uplink.sender?.rejected ?? 0).toBe(0);
      expect(companion.status().health).toBe('degraded');

      const report = await cli(['doctor', '--config', configFile]);
      expect(report.out).toContain('info  daemon: running');
      expect(report.out).toMatch(
        /warn {2}uplink: the server rejected 1 sample\(s\) for good \(0 since this start\); latest at [^:]+:\d\d:[\d.]+Z: seq 2 field "t": /,
      );
    },
  );
});

describe('forget-refusal', () => {
  it('creates nothing where there is no outbox, and leaves a corrupt one as it is', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const config = writeConfig(dir, {
      server: { url: 'http://127.0.0.1:9', token: TOKEN },
      storage: { dataDir },
      health: { port: null },
    });
    const file = path.join(dataDir, OUTBOX_FILE);

    expect(await cli(['forget-refusal', '--config', config])).toEqual({
      code: 0,
      out: `no outbox at ${file}: no refusal is stored, nothing to remove\n`,
    });
    expect(fs.existsSync(dataDir)).toBe(false);

    fs.mkdirSync(dataDir);
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    const before = fs.readFileSync(file);
    const corrupt = await cli(['forget-refusal', '--config', config]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.out).toContain(
      `fleetline-companion: ${file} is corrupt (file is not a database); nothing was removed.`,
    );
    // Beside it only the lock's file, which stays (empty) once made.
    expect(fs.readdirSync(dataDir).sort()).toEqual([GUARD_FILE, OUTBOX_FILE]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('needs only the data directory: --data-dir alone, or a configuration invalid elsewhere', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const at = Date.UTC(2026, 10, 20, 7, 0, 0);
    const refuse = () => {
      const outbox = Outbox.open({
        file: path.join(dataDir, OUTBOX_FILE),
        maxBytes: 64 << 20,
        synchronous: 'NORMAL',
        logger,
      });
      outbox.setRefusal({
        type: 'device-token-revoked',
        message: 'The device token was revoked',
        at,
        tokenHash: tokenHash(TOKEN),
        serverUrl: 'https://fleet.example.com',
      });
      outbox.close();
    };
    const file = path.join(dataDir, OUTBOX_FILE);
    const said = `removed the refusal stored in ${file}: https://fleet.example.com refused a token at ${new Date(at).toISOString()}: device-token-revoked (The device token was revoked). Whether it held for the configured token and server is not known: the configuration is invalid.`;

    refuse();
    const bare = await cli(['forget-refusal', '--data-dir', dataDir]);
    expect(bare.code).toBe(0);
    expect(bare.out).toContain(
      `fleetline-companion: using the data directory ${dataDir}; the rest of the configuration is not valid (server: doctor says why), and forget-refusal does not need it`,
    );
    expect(bare.out).toContain(said);
    expect(storedRefusal(dataDir)).toBeNull();

    // The file that says where the outbox is, wrong elsewhere (no token, a device half set up).
    refuse();
    const config = writeConfig(dir, {
      server: { url: 'https://fleet.example.com' },
      devices: { obd: { transport: 'serial' } },
      storage: { dataDir },
    });
    const invalid = await cli(['forget-refusal', '--config', config]);
    expect(invalid.code).toBe(0);
    expect(invalid.out).toContain(said);
    expect(storedRefusal(dataDir)).toBeNull();

    // A file it cannot read might have named another directory: refused, unless --data-dir says.
    refuse();
    fs.writeFileSync(config, '{ "storage": { "dataDir": ');
    const unread = await cli(['forget-refusal', '--config', config]);
    expect(unread.code).toBe(78);
    expect(unread.out).toContain(
      'fleetline-companion: invalid configuration: it does not say where the data directory is (give it with --data-dir DIR)',
    );
    expect(unread.out).toContain(`(config file ${config})`);
    expect(storedRefusal(dataDir)).not.toBeNull();
    const given = await cli(['forget-refusal', '--config', config, '--data-dir', dataDir]);
    expect(given.code).toBe(0);
    expect(storedRefusal(dataDir)).toBeNull();
  });

  it('says when the refusal it removed did not hold for the configured token and server', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'state');
    const outbox = Outbox.open({
      file: path.join(dataDir, OUTBOX_FILE),
      maxBytes: 64 << 20,
      synchronous: 'NORMAL',
      logger,
    });
    const at = Date.UTC(2026, 10, 20, 7, 0, 0);
    outbox.setRefusal({
      type: 'device-token-revoked',
      message: 'The device token was revoked',
      at,
      tokenHash: tokenHash(OTHER_TOKEN),
      serverUrl: 'https://fleet.example.com',
    });
    outbox.close();
    const config = writeConfig(dir, {
      server: { url: 'https://fleet.example.com/', token: TOKEN },
      storage: { dataDir },
      health: { port: null },
    });

    const report = await cli(['forget-refusal', '--config', config]);
    expect(report.code).toBe(0);
    expect(report.out).toContain(
      `https://fleet.example.com refused another token at ${new Date(at).toISOString()}: device-token-revoked (The device token was revoked). It did not hold for the configured token and server`,
    );
    expect(storedRefusal(dataDir)).toBeNull();
  });
});
