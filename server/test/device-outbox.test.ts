import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeClients,
  connectDevice,
  databaseTargets,
  position,
  seed,
  sendBatch,
  startServer,
  testConfig,
} from './harness.js';
import type { RunningServer, Seed, TestDatabase } from './harness.js';

/**
 * The outbox a device's token last sent telemetry with, which the hello
 * tells the device so it can tell its own restored backup from a token
 * moved off another outbox (see docs/PROTOCOL.md, "Sequence numbers").
 */
describe.each(databaseTargets())('the outbox a device last used, on $name', (target) => {
  let db: TestDatabase;
  let running: RunningServer;
  let s: Seed;
  let nextSeq = 1;

  beforeAll(async () => {
    db = await target.create();
    running = await startServer(testConfig(db.config));
    s = await seed(running.server);
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await running?.close();
    await db?.drop();
  });

  const freshToken = async (plate: string): Promise<string> => {
    const { device } = await running.server.accounts.registerVehicle({
      name: plate,
      plate,
      fleetIds: [s.fleetA],
    });
    return device.token;
  };

  /** Connects, sends one stored sample, disconnects. */
  const sendWith = async (token: string, outboxId?: string): Promise<void> => {
    const { socket } = await connectDevice(running.url, token, outboxId ? { outboxId } : {});
    const reply = await sendBatch(socket, [position({ seq: nextSeq++, t: Date.now() })]);
    expect(reply).toMatchObject({ ok: true, stored: 1 });
    socket.close();
  };

  const helloFor = async (token: string, outboxId?: string) =>
    (await connectDevice(running.url, token, outboxId ? { outboxId } : {})).hello;

  it('has none on record for a new device', async () => {
    const token = await freshToken('OBX-1');
    expect((await helloFor(token, randomUUID())).lastOutboxId).toBeNull();
  });

  it('tells a reconnecting device the outbox it last sent telemetry with', async () => {
    const token = await freshToken('OBX-2');
    const mine = randomUUID();
    await sendWith(token, mine);
    expect((await helloFor(token, mine)).lastOutboxId).toBe(mine);
  });

  it('tells a device when another outbox sent with its token since', async () => {
    const token = await freshToken('OBX-3');
    const first = randomUUID();
    const second = randomUUID();
    await sendWith(token, first);
    await sendWith(token, second);
    expect((await helloFor(token, first)).lastOutboxId).toBe(second);
  });

  it('records an outbox only once its connection sends: a hello alone changes nothing', async () => {
    // A device sends only after its numbering check; one that connected and
    // failed before must not find its own outbox on record next time.
    const token = await freshToken('OBX-4');
    const sender = randomUUID();
    await sendWith(token, sender);
    const silent = await connectDevice(running.url, token, { outboxId: randomUUID() });
    expect(silent.hello.lastOutboxId).toBe(sender);
    silent.socket.close();
    expect((await helloFor(token, sender)).lastOutboxId).toBe(sender);
  });

  it('forgets the outbox when a connection naming none sends', async () => {
    const token = await freshToken('OBX-5');
    await sendWith(token, randomUUID());
    await sendWith(token);
    expect((await helloFor(token, randomUUID())).lastOutboxId).toBeNull();
  });

  it('records the outbox before the first batch is stored, and every batch of the connection is stored once', async () => {
    const token = await freshToken('OBX-6');
    const mine = randomUUID();
    const { socket } = await connectDevice(running.url, token, { outboxId: mine });
    const t = Date.now();
    const seqs = [nextSeq++, nextSeq++, nextSeq++];
    // Sent at once: the later batches wait behind the record's write, in order.
    const replies = await Promise.all(seqs.map((seq) => sendBatch(socket, [position({ seq, t })])));
    expect(replies.map((r) => ('ok' in r ? r.stored : r))).toEqual([1, 1, 1]);
    socket.close();
    expect((await helloFor(token, mine)).lastOutboxId).toBe(mine);
  });

  it('refuses a batch, storing nothing, while the outbox cannot be recorded; the next batch records it', async () => {
    const token = await freshToken('OBX-8');
    const mine = randomUUID();
    const knex = running.server.db.knex;
    if (target.name === 'sqlite')
      await knex.raw(
        "CREATE TRIGGER outbox_refused BEFORE UPDATE OF last_outbox_id ON devices BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
    else {
      await knex.raw(
        "CREATE FUNCTION outbox_refused() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
      );
      await knex.raw(
        'CREATE TRIGGER outbox_refused BEFORE UPDATE OF last_outbox_id ON devices FOR EACH ROW EXECUTE FUNCTION outbox_refused()',
      );
    }
    const { socket } = await connectDevice(running.url, token, { outboxId: mine });
    const seq = nextSeq++;
    const t = Date.now();
    try {
      expect(await sendBatch(socket, [position({ seq, t })])).toMatchObject({
        error: { type: 'unavailable' },
      });
    } finally {
      if (target.name === 'sqlite') await knex.raw('DROP TRIGGER outbox_refused');
      else {
        await knex.raw('DROP TRIGGER outbox_refused ON devices');
        await knex.raw('DROP FUNCTION outbox_refused()');
      }
    }
    expect(await knex('positions').where({ seq })).toHaveLength(0);
    expect(await sendBatch(socket, [position({ seq, t })])).toMatchObject({ ok: true, stored: 1 });
    socket.close();
    expect((await helloFor(token, mine)).lastOutboxId).toBe(mine);
  });

  it('refuses an outbox id that is not a UUID as a malformed handshake, not as a bad token', async () => {
    const token = await freshToken('OBX-7');
    for (const outboxId of ['my-outbox', 42]) {
      await expect(connectDevice(running.url, token, { outboxId })).rejects.toMatchObject({
        body: { type: 'validation-failed', errors: [{ path: 'auth.outboxId' }] },
      });
    }
    // The token itself is still good.
    expect((await helloFor(token, randomUUID())).lastOutboxId).toBeNull();
  });
});
