import net from 'node:net';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import { isDataError } from '../src/db/dialect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { PgIngestThread } from '../src/db/pg-thread/client.js';
import { databaseTargets } from './harness.js';
import type { TestDatabase } from './harness.js';

/**
 * A TCP relay to PostgreSQL on loopback that can go silent on the
 * connections it holds, without closing them: what a failover or a pulled
 * cable looks like from the client (a half-open connection). Connections
 * opened after that are relayed as usual.
 */
async function silenceableRelay(target: URL) {
  const live = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        if (!from.destroyed && !silenced.has(from)) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
    live.add(client).add(upstream);
  });
  const silenced = new Set<net.Socket>();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    /** Every byte on the connections open now is dropped from here on. */
    silenceOpenConnections() {
      for (const socket of live) silenced.add(socket);
      live.clear();
    },
    async close() {
      for (const socket of silenced) socket.destroy();
      for (const socket of live) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const probe = [{ statements: [{ sql: 'select 1 as one', params: [], returns: true }] }];

describe.each(databaseTargets().filter((t) => t.name === 'postgres'))(
  'the PostgreSQL ingest thread on $name',
  (target) => {
    let db: TestDatabase;
    let config: { url: string; schema: string | undefined };

    beforeAll(async () => {
      db = await target.create();
      config = db.config as Extract<TestDatabase['config'], { kind: 'postgres' }>;
      const database = createDatabase(db.config);
      try {
        await migrateLatest(database);
      } finally {
        await database.close();
      }
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('gives up on a connection gone silent, fails the tick as unavailable, and the next tick commits on a new one', async () => {
      const relay = await silenceableRelay(new URL(config.url));
      const replaced: string[] = [];
      const thread = new PgIngestThread(
        { url: relay.url, schema: config.schema },
        (message) => replaced.push(message),
        { statementMs: 500, tickMs: 1500 },
      );
      try {
        expect(await thread.runSteps(probe)).toMatchObject({ committed: true });
        relay.silenceOpenConnections();
        const started = performance.now();
        const failed = await thread.runSteps(probe).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(failed).toBeInstanceOf(Error);
        expect((failed as Error).message).toMatch(/did not finish within 1500 ms/);
        // Not a refusal for the data: its devices resend, nothing is refused.
        expect(isDataError(failed)).toBe(false);
        expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
        expect(replaced).toHaveLength(1);
        expect(replaced[0]).toMatch(
          /did not finish within 1500 ms; its connection and thread are replaced/,
        );
        expect(await thread.runSteps(probe)).toMatchObject({
          committed: true,
          rows: [[{ one: 1 }]],
        });
        expect(thread.threadsReplaced).toBe(1);
      } finally {
        await thread.close();
        await relay.close();
      }
    });

    it('a tick stuck behind a lock fails on the statement timeout and the same connection carries on', async () => {
      const replaced: string[] = [];
      const thread = new PgIngestThread(config, (message) => replaced.push(message), {
        statementMs: 300,
        tickMs: 5000,
      });
      const holder = knexFactory({
        client: 'pg',
        connection: config.url,
        ...(config.schema ? { searchPath: [config.schema] } : {}),
      });
      const insert = [
        {
          statements: [
            {
              sql: 'INSERT INTO fleets (name, overspeed_limit_kmh, created_at) VALUES (?, 90, 1)',
              params: ['locked out'],
              returns: false,
            },
          ],
        },
      ];
      try {
        expect(await thread.runSteps(probe)).toMatchObject({ committed: true });
        const trx = await holder.transaction();
        try {
          await trx.raw('LOCK TABLE fleets IN ACCESS EXCLUSIVE MODE');
          await expect(thread.runSteps(insert)).rejects.toMatchObject({ code: '57014' });
        } finally {
          await trx.rollback();
        }
        expect(await thread.runSteps(insert)).toMatchObject({ committed: true });
        expect(replaced).toEqual([]);
        expect(thread.threadsReplaced).toBe(0);
      } finally {
        await thread.close();
        await holder.destroy();
      }
    });
  },
);
