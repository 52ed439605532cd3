import { createFleetlineServer } from './app.js';
import type { FleetlineServer } from './app.js';
import type { ServerConfig } from './config.js';

const FORCED_EXIT_MS = 15_000;
/**
 * A second signal this soon after the first is the same request: Ctrl-C
 * reaches the whole process group, and npm or a launcher forwards it too.
 * Only a later one (someone pressing Ctrl-C again) skips the graceful stop.
 */
const SAME_REQUEST_MS = 2_000;

/**
 * Runs the server until SIGINT or SIGTERM, then stops gracefully: pending
 * batches are committed and acknowledged before sockets close. A second
 * signal (after SAME_REQUEST_MS), or a stop that takes too long, exits at once.
 */
export async function serve(config: ServerConfig): Promise<FleetlineServer> {
  const server = await createFleetlineServer(config);
  const admin = await server.accounts.ensureInitialAdmin();
  const { url } = await server.listen();

  const lines = [
    '',
    `  Fleetline server is running at ${url}`,
    `  Database: ${config.database.kind === 'sqlite' ? config.database.filename : 'PostgreSQL'}`,
  ];
  if (admin) {
    lines.push(
      '',
      '  First start: an administrator account was created. The password is shown only now:',
      `    email:    ${admin.email}`,
      `    password: ${admin.password}`,
      '',
      '  Log in:',
      `    curl -s -X POST ${url}/api/auth/login -H 'content-type: application/json' \\`,
      `      -d '{"email":"${admin.email}","password":"${admin.password}"}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stoppingSince: number | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (performance.now() - stoppingSince < SAME_REQUEST_MS) {
        server.logger.info({ signal }, 'already stopping');
        return;
      }
      server.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = performance.now();
    server.logger.info({ signal }, 'stopping');
    setTimeout(() => {
      server.logger.error('graceful stop timed out; exiting');
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return server;
}
