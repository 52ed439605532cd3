import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startDemoFleet } from '@fleetline/driver-companion';
import type { DemoFleet } from '@fleetline/driver-companion';
import { ConfigError, createCore, loadConfig } from '@fleetline/server';
import { desktopConsole, openDesktopConsole } from './console-app.js';
import { provisionDemoFleet } from './demo-accounts.js';
import { demoSettings } from './demo-settings.js';

/**
 * What `npm start` runs: the product on its embedded defaults.
 *
 * 1. migrations, and the demo fleet's accounts (vehicles need device tokens);
 * 2. the server, as its own process, exactly as in production;
 * 3. the demo fleet: real companions against simulated devices, in this process;
 * 4. the console: the desktop app when Electron is installed, else the web console's address.
 *
 * DEMO_VEHICLES (default 30; 0: none) and DEMO_CITY (berlin, paris, madrid,
 * warsaw, toronto) shape the demo fleet; everything else is the server's
 * configuration (README.md).
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  const { vehicles: demoSize, city, logLevel } = demoSettings(process.env);
  // The demo companions and the provisioning log like the companion and the server do
  // (ISO times, a service name), quietly unless DEMO_LOG_LEVEL says otherwise.
  const quiet = pino({
    level: logLevel,
    base: { service: 'fleetline-demo' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });

  // 1. Accounts, before the server takes the database.
  const core = await createCore(config, { logger: quiet });
  const demo = demoSize > 0 ? await provisionDemoFleet(core, demoSize, config.dataDir) : [];
  await core.db.close();

  // 2. The server.
  const server = spawn(
    process.execPath,
    ['--max-semi-space-size=64', path.join(repoRoot, 'server', 'dist', 'src', 'main.js')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    server.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      seen += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) =>
      reject(new Error(`the server exited (${code}) before it was ready`)),
    );
  });

  // 3. The demo fleet.
  let fleet: DemoFleet | undefined;
  if (demo.length > 0) {
    fleet = await startDemoFleet({
      serverUrl: url,
      vehicles: demo,
      city,
      dataDir: path.join(config.dataDir, 'demo'),
      logger: quiet,
    });
    say(
      `  Demo fleet: ${demo.length} vehicles driving in ${typeof city === 'string' ? city : 'the city'} (DEMO_VEHICLES=0 turns it off).`,
    );
  }

  // 4. The console.
  const desktop = desktopConsole(repoRoot);
  if (desktop) {
    openDesktopConsole(desktop, url);
    say(`  Desktop console opened. The web console is at ${url}/console/ too.`);
  } else {
    say(
      `  Console: open ${url}/console/ in a browser (the desktop app needs the Electron binary; see console/README.md).`,
    );
  }
  say('');

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // At once, while Ctrl-C's own SIGINT to the server (same process group) is
    // fresh: the server takes both as one request and stops gracefully. The
    // demo companions keep whatever the server did not acknowledge in their
    // outboxes and send it on the next start.
    const serverExited =
      server.exitCode === null
        ? new Promise((resolve) => server.once('exit', resolve))
        : Promise.resolve();
    if (server.exitCode === null) server.kill('SIGTERM');
    await Promise.all([fleet?.stop().catch(() => undefined), serverExited]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  server.once('exit', (code) => void stop(code ?? 1));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
