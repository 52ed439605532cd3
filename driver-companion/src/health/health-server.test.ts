import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { startHealthServer } from './health-server.js';
import type { HealthServer } from './health-server.js';
import type { CompanionStatus } from './status.js';

const logger = createLogger('silent');
const servers: HealthServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(): Promise<HealthServer> {
  const server = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    status: () => ({ health: 'ok', problems: [] }) as unknown as CompanionStatus,
    logger,
  });
  servers.push(server);
  return server;
}

/** A request with the target exactly as given: fetch() would normalise it. */
function get(server: HealthServer, target: string): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: server.address.host, port: server.address.port, path: target, method: 'GET' },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the health endpoint', () => {
  it('answers 400 to a request target that is not a path, and keeps answering', async () => {
    const server = await start();
    for (const target of ['//', '//[']) {
      const reply = await get(server, target);
      expect(reply.code, target).toBe(400);
      expect(reply.body).toMatchObject({ error: { type: 'bad-request' } });
    }
    expect(await get(server, '/health')).toMatchObject({ code: 200, body: { health: 'ok' } });
    expect(await get(server, '/health/live')).toEqual({ code: 200, body: { ok: true } });
  });
});
