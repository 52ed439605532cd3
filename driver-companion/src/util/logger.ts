import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (pino, JSON lines on stdout: journald keeps them). Ids go
 * in fields, never in sentences. The device token never appears: it is
 * redacted wherever it might be logged by accident.
 */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service: 'fleetline-companion', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', '*.token', 'auth.token', 'server.token'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The message of anything thrown, for log fields and reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `type` of a HardwareError or protocol error body, when there is one. */
export function typeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'type' in error) {
    const type = error.type;
    return typeof type === 'string' ? type : undefined;
  }
  return undefined;
}
