import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import { migrateLatest } from '../src/db/migrate.js';
import { databaseTargets, login, seed, startServer, testConfig } from './harness.js';
import type { TestDatabase } from './harness.js';
import { silenceableRelay } from './pg-relay.js';

/** Counts the connections the pool destroys from now on. */
function countDestroyed(knex: Knex): () => number {
  let n = 0;
  (knex.client as { pool: { on(event: 'destroySuccess', fn: () => void): void } }).pool.on(
    'destroySuccess',
    () => n++,
  );
  return () => n;
}

type PostgresConfig = Extract<TestDatabase['config'], { kind: 'postgres' }>;

const errorOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );

/**
 * The pool of connections the API (not the ingest thread) runs its queries
 * on: a statement that runs too long is cancelled by the database, and a
 * connection a failover left half-open is given up on and replaced.
 */
describe.each(databaseTargets().filter((t) => t.name === 'postgres'))(
  'the PostgreSQL API pool on $name',
  (target) => {
    let db: TestDatabase;
    let config: PostgresConfig;

    beforeAll(async () => {
      db = await target.create();
      config = db.config as PostgresConfig;
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

    it('gives up on a connection gone silent, and does not hand it out again', async () => {
      const relay = await silenceableRelay(new URL(config.url));
      const database = createDatabase({
        ...config,
        url: relay.url,
        apiTimeouts: { statementMs: 500, queryMs: 1000 },
      });
      try {
        await database.knex.raw('select 1');
        const destroyed = countDestroyed(database.knex);
        const silenced = relay.silenceOpenConnections();
        expect(silenced).toBeGreaterThanOrEqual(1);
        const failed = await errorOf(database.knex.raw('select 1'));
        expect((failed as Error).message).toMatch(/Query read timeout/);
        // The dead connection is destroyed, not reused: the next query runs
        // on a new one (without that, pg queues it behind the lost answer).
        const rows = await database.knex.raw<{ rows: { two: number }[] }>('select 2 as two');
        expect(rows.rows).toEqual([{ two: 2 }]);
        expect(destroyed()).toBeGreaterThanOrEqual(1);
      } finally {
        await database.close();
        await relay.close();
      }
    });

    it('has the database cancel a statement past its timeout, and keeps the connection', async () => {
      const database = createDatabase({
        ...config,
        apiTimeouts: { statementMs: 300, queryMs: 5000 },
      });
      try {
        await database.knex.raw('select 1');
        const destroyed = countDestroyed(database.knex);
        const failed = await errorOf(database.knex.raw('select pg_sleep(2)'));
        expect(failed).toMatchObject({ code: '57014' });
        await database.knex.raw('select 1');
        expect(destroyed()).toBe(0);
      } finally {
        await database.close();
      }
    });

    it('runs migrations without those timeouts', async () => {
      const database = createDatabase({
        ...config,
        apiTimeouts: { statementMs: 100, queryMs: 2000 },
      });
      try {
        expect(await errorOf(database.knex.raw('select pg_sleep(0.4)'))).toMatchObject({
          code: '57014',
        });
        await expect(
          database.withoutTimeouts((knex) => knex.raw('select pg_sleep(0.4)')),
        ).resolves.toBeDefined();
        // The migrations themselves, all the way down and up again.
        await expect(migrateLatest(database)).resolves.toMatchObject({ applied: [] });
      } finally {
        await database.close();
      }
    });

    it('answers a request 503 unavailable with Retry-After while the database does not answer, then recovers', async () => {
      const own = await target.create();
      const relay = await silenceableRelay(new URL((own.config as PostgresConfig).url));
      const running = await startServer(
        testConfig({
          ...(own.config as PostgresConfig),
          url: relay.url,
          apiTimeouts: { statementMs: 500, queryMs: 1000 },
        }),
      );
      try {
        const s = await seed(running.server, 1);
        const token = await login(running.url, s.admin);
        const get = () =>
          fetch(`${running.url}/api/fleets`, { headers: { authorization: `Bearer ${token}` } });
        expect((await get()).status).toBe(200);

        const silenced = relay.silenceOpenConnections();
        const first = await get();
        expect(first.status).toBe(503);
        expect(first.headers.get('retry-after')).toBe('5');
        const problem = (await first.json()) as { type: string; detail: string };
        expect(problem.type).toMatch(/\/problems\/unavailable$/);
        expect(problem.detail).toBe('the database is not answering; retry shortly');
        // Each connection that was open fails one request at most, then is gone.
        let failures = 1;
        let res = await get();
        while (res.status === 503 && failures <= silenced) {
          failures++;
          res = await get();
        }
        expect(res.status).toBe(200);
        expect(failures).toBeLessThanOrEqual(silenced);
      } finally {
        await running.close();
        await relay.close();
        await own.drop();
      }
    });
  },
);
