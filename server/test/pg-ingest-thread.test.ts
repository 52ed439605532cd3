import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import { isDataError } from '../src/db/dialect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { PgIngestThread } from '../src/db/pg-thread/client.js';
import {
  closeClients,
  connectConsole,
  connectDevice,
  databaseTargets,
  eventually,
  login,
  seed,
  sendBatch,
  startServer,
  testConfig,
} from './harness.js';
import type { TestDatabase } from './harness.js';
import { silenceableRelay } from './pg-relay.js';

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

    /**
     * A server on its own schema whose every database connection goes
     * through a relay, with a console and one device connected and a first
     * status (ignition off) stored.
     */
    const serverThroughRelay = async () => {
      const own = await target.create();
      const ownConfig = own.config as Extract<TestDatabase['config'], { kind: 'postgres' }>;
      const relay = await silenceableRelay(new URL(ownConfig.url));
      const running = await startServer(
        testConfig({
          ...ownConfig,
          url: relay.url,
          ingestTimeouts: { statementMs: 1000, tickMs: 1500 },
        }),
      );
      const s = await seed(running.server);
      const v = s.vehiclesA[0]!;
      const feed = await connectConsole(running.url, { token: await login(running.url, s.admin) });
      const { socket } = await connectDevice(running.url, v.token);
      const t = Date.now();
      const send = (seq: number, ignition: boolean) =>
        sendBatch(socket, [{ kind: 'status', seq, t: t + seq * 1000, ignition }]);
      expect(await send(1, false)).toMatchObject({ ok: true, stored: 1 });
      const direct = knexFactory({
        client: 'pg',
        connection: ownConfig.url,
        searchPath: [ownConfig.schema!],
      });
      return {
        running,
        relay,
        v,
        feed,
        send,
        /** A second connection straight to the database, for the test's own statements. */
        direct,
        // Counted over a connection of the test's own: the server's pool may be silenced.
        ignitionOns: async () =>
          Number(
            (
              await direct('events')
                .where({ vehicle_id: v.id, type: 'ignition_on' })
                .count({ n: '*' })
                .first()
            )?.n,
          ),
        async close() {
          closeClients();
          await direct.destroy();
          // The relay first: connections it silenced then end, rather than
          // leave the server's pool waiting on them as it closes.
          await relay.close();
          await running.close();
          await own.drop();
        },
      };
    };

    it('a tick whose COMMIT landed unanswered: its events reach consoles once, and the state moves on', async () => {
      const rig = await serverThroughRelay();
      try {
        rig.relay.silenceCommitOf('device_statuses');
        expect(await rig.send(2, true)).toMatchObject({ error: { type: 'unavailable' } });
        // It was stored all the same, with its event; nothing told the console.
        expect(await rig.ignitionOns()).toBe(1);

        // The device resends, as a companion does: a duplicate now.
        expect(await rig.send(2, true)).toMatchObject({ ok: true, stored: 0, duplicates: 1 });
        await eventually(
          () => rig.feed.events.find((e) => e.vehicleId === rig.v.id && e.type === 'ignition_on'),
          3000,
          'the ignition_on the unanswered commit stored, pushed to the console',
        );
        expect(rig.running.server.live.state(rig.v.id)?.status?.ignition).toBe(true);
        // The live state moved on: the next report does not raise it a second time.
        expect(await rig.send(3, true)).toMatchObject({ ok: true, stored: 1 });
        expect(await rig.ignitionOns()).toBe(1);
        expect(rig.feed.events.filter((e) => e.type === 'ignition_on')).toHaveLength(1);
      } finally {
        await rig.close();
      }
    });

    it('a failover that silences every open connection: ingest carries on over new ones', async () => {
      const rig = await serverThroughRelay();
      try {
        // Every pooled connection, the ingest thread's included, is now half-open.
        rig.relay.silenceOpenConnections();
        expect(await rig.send(2, true)).toMatchObject({ error: { type: 'unavailable' } });
        // Settling the tick in doubt and storing the resend use only new connections.
        const started = performance.now();
        expect(await rig.send(2, true)).toMatchObject({ ok: true, stored: 1, duplicates: 0 });
        expect(performance.now() - started).toBeLessThan(1500);
        await eventually(
          () => rig.feed.events.find((e) => e.vehicleId === rig.v.id && e.type === 'ignition_on'),
          3000,
          'ignition_on after the failover',
        );
        expect(await rig.ignitionOns()).toBe(1);
      } finally {
        await rig.close();
      }
    });

    it('a COMMIT that lands after the deadline is waited for before the next tick reads or writes', async () => {
      const rig = await serverThroughRelay();
      try {
        // The next status tick takes 0.8 s to insert and 0.95 s to commit: each
        // statement within its 1 s timeout, the whole past the 1.5 s deadline.
        await rig.direct.raw(`
          CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_sleep(CASE WHEN TG_WHEN = 'BEFORE' THEN 0.8 ELSE 0.95 END); RETURN NEW; END $$`);
        await rig.direct.raw(
          'CREATE TRIGGER slow_insert BEFORE INSERT ON device_statuses FOR EACH ROW EXECUTE FUNCTION slow()',
        );
        await rig.direct.raw(
          'CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON device_statuses DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow()',
        );
        expect(await rig.send(2, true)).toMatchObject({ error: { type: 'unavailable' } });
        await rig.direct.raw('DROP TRIGGER slow_insert ON device_statuses');
        await rig.direct.raw('DROP TRIGGER slow_commit ON device_statuses');
        // Resent at once, while the abandoned COMMIT is still running.
        expect(await rig.send(2, true)).toMatchObject({ ok: true, stored: 0, duplicates: 1 });
        await eventually(
          () => rig.feed.events.find((e) => e.vehicleId === rig.v.id && e.type === 'ignition_on'),
          3000,
          "the late commit's ignition_on, pushed to the console",
        );
        expect(await rig.send(3, true)).toMatchObject({ ok: true, stored: 1 });
        expect(await rig.ignitionOns()).toBe(1);
        expect(rig.feed.events.filter((e) => e.type === 'ignition_on')).toHaveLength(1);
      } finally {
        await rig.close();
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
