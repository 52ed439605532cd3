import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import type { CompanionStatus } from './status.js';

export interface HealthServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * The health endpoint, on localhost by default:
 * - GET /health: the full status as JSON; 200 while ok or degraded, 503
 *   when failing (a refused token, a full outbox, a disk that refuses
 *   commits), so a watchdog or a monitoring agent can act on the code alone;
 * - GET /health/live: 200 while the process answers at all.
 */
export async function startHealthServer(options: {
  host: string;
  port: number;
  status: () => CompanionStatus;
  logger: Logger;
}): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    // A throw here would be uncaught and end the daemon: anything a client sends is answered.
    try {
      answer(req, res, options);
    } catch (error) {
      options.logger.error({ err: messageOf(error), target: req.url }, 'health request failed');
      if (!res.headersSent)
        send(res, 500, { error: { type: 'internal', message: 'internal error' } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A health probe must never keep the process alive on its own.
  server.unref();
  const address = server.address() as AddressInfo;
  return {
    address: { host: options.host, port: address.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: { status: () => CompanionStatus; logger: Logger },
): void {
  let url: URL;
  try {
    // `//` or `//[` read as a URL without a scheme, and their host is not one.
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    send(res, 400, { error: { type: 'bad-request', message: 'the request target is not a path' } });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { error: { type: 'method-not-allowed', message: 'GET only' } });
    return;
  }
  if (url.pathname === '/health/live') {
    send(res, 200, { ok: true });
    return;
  }
  if (url.pathname === '/health' || url.pathname === '/') {
    let status: CompanionStatus;
    try {
      status = options.status();
    } catch (error) {
      options.logger.error({ err: error }, 'health status failed');
      send(res, 500, { error: { type: 'internal', message: 'status unavailable' } });
      return;
    }
    send(res, status.health === 'failing' ? 503 : 200, status);
    return;
  }
  send(res, 404, { error: { type: 'not-found', message: 'try /health' } });
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
