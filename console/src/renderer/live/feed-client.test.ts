// @vitest-environment node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import type { Socket as ServerSocket } from 'socket.io';
import { CONSOLE_NAMESPACE } from '@fleetline/protocol';
import type { ConsoleAuth, FleetEvent, FleetSnapshotMessage } from '@fleetline/protocol';
import { cursor, vehicleSnapshot } from '../testing/fixtures';
import { FeedClient } from './feed-client';
import type { FeedHandlers, FeedStatus } from './feed-client';

/**
 * The feed client against a real socket.io server speaking the console
 * protocol (a stand-in for the real server, so each test can send exactly
 * what it needs, including messages the real server would never send).
 */
async function feedServer(
  onConnect: (socket: ServerSocket, auth: ConsoleAuth) => void,
  refuse?: (auth: ConsoleAuth) => unknown,
) {
  const http = createServer();
  const io = new Server(http);
  const auths: ConsoleAuth[] = [];
  io.of(CONSOLE_NAMESPACE).use((socket, next) => {
    const auth = socket.handshake.auth as ConsoleAuth;
    auths.push(auth);
    const refusal = refuse?.(auth);
    if (refusal) next(Object.assign(new Error('refused'), { data: refusal }));
    else next();
  });
  io.of(CONSOLE_NAMESPACE).on('connection', (socket) =>
    onConnect(socket, socket.handshake.auth as ConsoleAuth),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    auths,
    io,
    close: () =>
      new Promise<void>((r) => {
        void io.close(() => r());
      }),
  };
}

const snapshotMessage = (rev: number, serverTime = Date.now()): FleetSnapshotMessage => ({
  cursor: cursor(rev),
  full: true,
  fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
  vehicles: [vehicleSnapshot({ id: 1 })],
  serverTime,
});

function recorder() {
  const log = {
    snapshots: [] as { message: FleetSnapshotMessage; resync: boolean }[],
    vehicles: 0,
    events: [] as { ids: number[]; replay: boolean; truncated: boolean }[],
    statuses: [] as FeedStatus[],
    rejected: [] as string[],
    fleetsRefused: 0,
  };
  const handlers: FeedHandlers = {
    snapshot: (message, { resync }) => log.snapshots.push({ message, resync }),
    vehicles: () => {
      log.vehicles += 1;
    },
    events: (events, { replay, truncated }) =>
      log.events.push({ ids: events.map((e) => e.id), replay, truncated }),
    status: (status) => log.statuses.push(status),
    rejected: (reason) => log.rejected.push(reason),
    fleetsRefused: () => {
      log.fleetsRefused += 1;
    },
  };
  return { log, handlers };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const event = (id: number, recordedAt: number): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'ignition_on',
  t: recordedAt,
  recordedAt,
  late: false,
  data: {},
});

describe('FeedClient', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('connects with the session, fleets and where it is; resumes from its newest cursor on reconnect', async () => {
    let connections = 0;
    const server = await feedServer((socket) => {
      connections += 1;
      socket.emit('snapshot', snapshotMessage(connections === 1 ? 10 : 30));
      if (connections === 1)
        socket.emit('vehicles', {
          cursor: cursor(25),
          updates: [{ id: 1, rev: 25, online: true }],
        });
    });
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    let held = {
      cursor: null as ReturnType<typeof cursor> | null,
      lastEventId: null as number | null,
    };
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 'fls_token',
      cursor: () => held.cursor,
      lastEventId: () => held.lastEventId,
      fleetIds: () => [1],
      handlers: {
        ...handlers,
        snapshot: (m, info) => {
          held = { cursor: m.cursor, lastEventId: 41 };
          handlers.snapshot(m, info);
        },
        vehicles: (m) => {
          held.cursor = m.cursor;
          handlers.vehicles(m);
        },
      },
      reconnectDelayMs: 50,
      reconnectDelayMaxMs: 100,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.vehicles === 1, 'the first update');
    expect(server.auths[0]).toEqual({ token: 'fls_token', fleetIds: [1] });
    expect(log.statuses).toContain('live');

    // The server drops every console (as on a network cut): the client comes back resuming.
    server.io.of(CONSOLE_NAMESPACE).sockets.forEach((s) => s.conn.close());
    await until(() => log.snapshots.length === 2, 'the resync snapshot');
    expect(log.statuses).toContain('reconnecting');
    expect(server.auths[1]).toEqual({
      token: 'fls_token',
      fleetIds: [1],
      resume: cursor(25),
      lastEventId: 41,
    });
    expect(log.snapshots[1]?.resync).toBe(true);
    expect(log.statuses.at(-1)).toBe('live');
  });

  it('refuses malformed messages with a precise reason and keeps going', async () => {
    const server = await feedServer((socket) => {
      socket.emit('snapshot', { ...snapshotMessage(1), vehicles: [{ id: 'one' }] });
      socket.emit('vehicles', {
        cursor: cursor(2),
        updates: [{ id: 1, rev: 2, position: { lat: 'north' } }],
      });
      socket.emit('events', 'not an object');
      socket.emit('snapshot', snapshotMessage(3));
    });
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 't',
      cursor: () => null,
      lastEventId: () => null,
      fleetIds: () => null,
      handlers,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.snapshots.length === 1, 'the valid snapshot');
    expect(log.rejected).toHaveLength(3);
    expect(log.rejected[0]).toMatch(/^snapshot message refused: vehicles\.0\.id: /);
    expect(log.rejected[1]).toMatch(
      /^vehicles message refused: updates\.0\.position\.t: .*expected number/,
    );
    expect(log.rejected[2]).toMatch(/^events message refused/);
    expect(log.snapshots[0]?.message.cursor.rev).toBe(3);
    expect(log.vehicles).toBe(0);
  });

  it('tells events the server replays on connect from new ones, and a cut-short replay', async () => {
    const serverTime = Date.now();
    const server = await feedServer((socket) => {
      socket.emit('snapshot', snapshotMessage(1, serverTime));
      socket.emit('events', { events: [event(1, serverTime - 60_000)], replay: true });
      socket.emit('events', { events: [event(2, serverTime + 5)] });
      socket.emit('events', {
        events: [event(7, serverTime - 30_000)],
        replay: true,
        truncated: true,
      });
    });
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 't',
      cursor: () => null,
      lastEventId: () => 0,
      fleetIds: () => null,
      handlers,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.events.length === 3, 'the three messages');
    expect(log.events).toEqual([
      { ids: [1], replay: true, truncated: false },
      { ids: [2], replay: false, truncated: false },
      { ids: [7], replay: true, truncated: true },
    ]);
  });

  it('stops and reports an ended session instead of retrying forever', async () => {
    const server = await feedServer(
      () => {},
      () => ({ error: { type: 'unauthenticated', message: 'the session has expired' } }),
    );
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 'old',
      cursor: () => null,
      lastEventId: () => null,
      fleetIds: () => null,
      handlers,
      reconnectDelayMs: 20,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.statuses.includes('unauthorized'), 'the refusal');
    await new Promise((r) => setTimeout(r, 200));
    expect(server.auths).toHaveLength(1);
  });

  it('asks for every visible fleet after the fleets it asked for were refused', async () => {
    let fleetIds: number[] | null = [7];
    const server = await feedServer(
      (socket) => socket.emit('snapshot', snapshotMessage(1)),
      (auth) =>
        auth.fleetIds
          ? { error: { type: 'forbidden-fleet', message: 'you may not see fleet 7' } }
          : null,
    );
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 't',
      cursor: () => null,
      lastEventId: () => null,
      fleetIds: () => fleetIds,
      handlers: {
        ...handlers,
        fleetsRefused: () => {
          fleetIds = null;
          handlers.fleetsRefused();
        },
      },
      reconnectDelayMs: 20,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.snapshots.length === 1, 'the snapshot for every fleet');
    expect(log.fleetsRefused).toBe(1);
    expect(server.auths.map((a) => a.fleetIds)).toEqual([[7], undefined]);
  });

  it('retries a refusal that may pass later (the server still starting)', async () => {
    let refusals = 2;
    const server = await feedServer(
      (socket) => socket.emit('snapshot', snapshotMessage(1)),
      () => (refusals-- > 0 ? { error: { type: 'unavailable', message: 'starting' } } : null),
    );
    cleanup.push(server.close);
    const { log, handlers } = recorder();
    const client = new FeedClient({
      serverUrl: server.url,
      token: () => 't',
      cursor: () => null,
      lastEventId: () => null,
      fleetIds: () => null,
      handlers,
      reconnectDelayMs: 20,
    });
    cleanup.push(() => client.stop());
    client.start();
    await until(() => log.snapshots.length === 1, 'the snapshot after two refusals');
    expect(server.auths).toHaveLength(3);
  });
});
