import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'fleetline-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'token',
        'password',
        '*.token',
        '*.password',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
    },
  });
}
