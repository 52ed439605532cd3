/** Where a command writes and what it runs in; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  stopSignal(): Promise<string>;
}

/** Signals this soon after the first are the same request to stop. */
const SAME_REQUEST_MS = 2_000;

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    stopSignal: () =>
      new Promise((resolve) => {
        const on = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', on);
          process.off('SIGINT', on);
          // A second signal while stopping means "now", unless it is the same request:
          // Ctrl-C reaches the whole process group, and npm or npx passes on one too.
          const since = performance.now();
          const force = (): void => {
            if (performance.now() - since < SAME_REQUEST_MS) return;
            process.exit(130);
          };
          process.on('SIGTERM', force);
          process.on('SIGINT', force);
          resolve(signal);
        };
        process.on('SIGTERM', on);
        process.on('SIGINT', on);
      }),
  };
}

/** Exit code for an invalid configuration (sysexits EX_CONFIG); the unit does not restart on it. */
export const EXIT_CONFIG = 78;
