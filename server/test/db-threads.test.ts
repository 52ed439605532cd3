import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import type { Database, Step } from '../src/db/database.js';
import { isDataError } from '../src/db/dialect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { isSqliteThreadConnection } from '../src/db/sqlite-thread/client.js';
import { databaseTargets } from './harness.js';
import type { TestDatabase } from './harness.js';

/** Long enough that the thread is busy in SQLite when it is stopped. */
const SLOW_QUERY =
  'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000) SELECT count(*) AS c FROM n';

function insertFleet(name: string): Step {
  return {
    statements: [
      {
        sql: 'INSERT INTO fleets (name, overspeed_limit_kmh, created_at) VALUES (?, 90, 1)',
        params: [name],
        returns: false,
      },
    ],
  };
}

describe.each(databaseTargets())('database threads on $name', (target) => {
  let test: TestDatabase;
  let db: Database;
  /** What the database wrote to the server's log, one parsed line each. */
  const logged: { level: number; msg: string; component?: string }[] = [];

  beforeAll(async () => {
    test = await target.create();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as (typeof logged)[number]);
        done();
      },
    });
    db = createDatabase(test.config, pino({ level: 'warn' }, sink));
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  const fleetNames = async () =>
    (await db.knex('fleets').select('name').orderBy('id')).map((r: { name: string }) => r.name);

  it('a refused row rejects with the driver code and, on PostgreSQL, which key and constraint', async () => {
    const orphan: Step = {
      statements: [
        {
          sql: 'INSERT INTO fleet_members (fleet_id, user_id) VALUES (?, ?)',
          params: [999, 999],
          returns: false,
        },
      ],
    };
    const err: unknown = await db.runSteps([orphan]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isDataError(err)).toBe(true);
    if (target.name === 'postgres') {
      const config = test.config as Extract<typeof test.config, { kind: 'postgres' }>;
      expect(err).toMatchObject({
        code: '23503',
        constraint: 'fleet_members_fleet_id_foreign',
        table: 'fleet_members',
        schema: config.schema,
      });
      expect((err as { detail?: unknown }).detail).toMatch(
        /^Key \(fleet_id\)=\(999\) is not present in table "fleets"/,
      );
    } else {
      expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    }
  });

  if (target.name === 'sqlite')
    it('replaces a SQLite thread that died: the query it was running fails, later ones commit', async () => {
      await db.knex('fleets').insert({ name: 'Before', overspeed_limit_kmh: 90, created_at: 1 });
      expect(db.threadsReplaced()).toBe(0);

      let running: Promise<unknown> | undefined;
      const crashed = db.knex.transaction(async (trx) => {
        await trx('fleets').insert({ name: 'Uncommitted', overspeed_limit_kmh: 90, created_at: 1 });
        // Inside a transaction the client hands out the transaction's connection.
        const connection = await (
          trx.client as unknown as { acquireConnection(): Promise<unknown> }
        ).acquireConnection();
        if (!isSqliteThreadConnection(connection)) throw new Error('expected the SQLite thread');
        running = trx.raw(SLOW_QUERY).then(() => 'answered');
        await new Promise((resolve) => setTimeout(resolve, 20));
        // As if the thread had crashed: stopped without closing its database.
        await connection.terminate();
        await running;
      });
      // knex's ROLLBACK fails too, and the transaction rejects with that.
      await expect(crashed).rejects.toThrow(/^ROLLBACK - the SQLite thread exited \(code \d+\)$/);
      await expect(running).rejects.toThrow(
        /^WITH RECURSIVE .* - the SQLite thread exited \(code \d+\)$/,
      );

      expect(await fleetNames()).toEqual(['Before']);
      expect(await db.runSteps([insertFleet('After')])).toMatchObject({ committed: true });
      await db.knex('fleets').insert({ name: 'Later', overspeed_limit_kmh: 90, created_at: 1 });
      expect(await fleetNames()).toEqual(['Before', 'After', 'Later']);
      expect(db.threadsReplaced()).toBe(1);
      // Operators see it happen, from the server's log.
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: 40,
          component: 'database',
          msg: 'the SQLite thread died; a new one takes over',
        }),
      );
    });
});
