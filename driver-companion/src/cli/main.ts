#!/usr/bin/env node
// The fleetline-companion command (package.json "bin").
import { runCli } from './cli.js';
import { processIo } from './io.js';

// A bug must not leave a half-working daemon behind: log it and exit, and
// let systemd restart us. Everything committed is safe in the outbox.
process.on('uncaughtException', (error) => {
  process.stderr.write(`fleetline-companion: fatal: ${error.stack ?? String(error)}\n`);
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `fleetline-companion: fatal: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
  );
  process.exit(1);
});

const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
// Commands that open devices or sockets leave handles behind only by mistake; do not hang on them.
setTimeout(() => process.exit(code), 2000).unref();
