// @vitest-environment node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import type { Socket as ServerSocket } from 'socket.io';
import { CONSOLE_NAMESPACE } from '@fleetline/protocol';
import type { FleetEvent } from '@fleetline/protocol';
import { DEFAULT_SETTINGS } from '../../shared/ipc';
import type { NotificationRequest } from '../../shared/ipc';
import { createConsoleStores } from '../app/context';
import type { Platform } from '../platform/platform';
import { cursor, vehicleSnapshot } from '../testing/fixtures';
import { startFeed } from './SocketController';

/** A socket.io server speaking the console protocol, sending what each test scripts. */
async function feedServer(onConnect: (socket: ServerSocket) => void) {
  const http = createServer();
  const io = new Server(http);
  io.of(CONSOLE_NAMESPACE).on('connection', onConnect);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => void io.close(() => r())),
  };
}

/** The platform as far as the feed is concerned: where the server is, settings, notifications. */
function recordingPlatform(serverUrl: string, notifications: boolean) {
  const notified: NotificationRequest[] = [];
  const platform = {
    kind: 'web',
    serverUrl: () => serverUrl,
    settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, notifications }),
    updateSettings: () => Promise.resolve({ ...DEFAULT_SETTINGS, notifications }),
    notify: (request: NotificationRequest) => {
      notified.push(request);
      return Promise.resolve(true);
    },
  } as Partial<Platform> as Platform;
  return { platform, notified };
}

const overspeed = (id: number, extra: { late?: boolean } = {}): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'overspeed',
  t: Date.now(),
  recordedAt: Date.now(),
  late: false,
  data: { speedKmh: 71, limitKmh: 50, lat: 52.5, lon: 13.4 },
  ...extra,
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The feed as the socket controller starts it, against a server that sends `events` after the snapshot. */
async function run(
  events: { events: FleetEvent[]; replay?: boolean; truncated?: boolean }[],
  notifications = true,
) {
  const server = await feedServer((socket) => {
    socket.emit('snapshot', {
      cursor: cursor(1),
      full: true,
      fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
      vehicles: [vehicleSnapshot({ id: 1, name: 'Van 01' })],
      serverTime: Date.now(),
    });
    for (const message of events) socket.emit('events', message);
  });
  const stores = createConsoleStores();
  const { platform, notified } = recordingPlatform(server.url, notifications);
  const { client, buffer } = startFeed(stores, platform, { flushIntervalMs: 50 });
  const expected = new Set(events.flatMap((m) => m.events.map((e) => e.id)));
  await until(
    () => [...expected].every((id) => stores.events.getState().events.some((e) => e.id === id)),
    'the events',
  );
  // Notifications go out after a settings read: give them a moment.
  await new Promise((r) => setTimeout(r, 50));
  return {
    stores,
    notified,
    stop: async () => {
      client.stop();
      buffer.dispose();
      await server.close();
    },
  };
}

describe('the socket controller', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('raises a notification for an alarm happening now, named after the vehicle', async () => {
    const { notified, stores, stop } = await run([
      { events: [overspeed(10)] },
      { events: [{ ...overspeed(11), type: 'ignition_on', data: {} }] },
    ]);
    cleanup.push(stop);
    expect(notified).toEqual([
      {
        title: 'Van 01: Overspeed',
        body: expect.stringContaining('71 km/h') as string,
        tag: '1:overspeed',
      },
    ]);
    expect(stores.events.getState().alarms.map((a) => a.event.id)).toEqual([10]);
  });

  it('names the vehicle as the alarm dock does once the fleet picker narrowed the view away from it', async () => {
    const snapshot = (vehicles: ReturnType<typeof vehicleSnapshot>[]) => ({
      cursor: cursor(1),
      full: true,
      fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
      vehicles,
      serverTime: Date.now(),
    });
    const server = await feedServer((socket) => {
      socket.emit(
        'snapshot',
        snapshot([
          vehicleSnapshot({ id: 1, name: 'Van 01' }),
          vehicleSnapshot({ id: 2, name: 'Van 02' }),
        ]),
      );
      socket.emit('events', { events: [{ ...overspeed(50), vehicleId: 2 }] });
      // Narrowed to a view without Van 02, whose alarm is still open.
      socket.emit('snapshot', snapshot([vehicleSnapshot({ id: 1, name: 'Van 01' })]));
      socket.emit('events', {
        events: [
          { ...overspeed(51), vehicleId: 2 },
          { ...overspeed(52), vehicleId: 9 },
        ],
      });
    });
    const stores = createConsoleStores();
    const { platform, notified } = recordingPlatform(server.url, true);
    const { client, buffer } = startFeed(stores, platform, { flushIntervalMs: 50 });
    cleanup.push(async () => {
      client.stop();
      buffer.dispose();
      await server.close();
    });
    await until(() => notified.length === 3, 'three notifications');
    expect(stores.fleet.getState().vehicles.has(2)).toBe(false);
    expect(notified.map((n) => n.title)).toEqual([
      'Van 02: Overspeed',
      'Van 02: Overspeed',
      // Never held this session: not a made-up name.
      'Unknown vehicle (id 9): Overspeed',
    ]);
  });

  it('raises none for an alarm replayed after a reconnect, or one that arrived late', async () => {
    const { notified, stores, stop } = await run([
      { events: [overspeed(20)], replay: true },
      { events: [overspeed(21, { late: true })] },
    ]);
    cleanup.push(stop);
    // Both are in the log; neither is news.
    expect(stores.events.getState().events.map((e) => e.id)).toEqual([21, 20]);
    expect(notified).toEqual([]);
    expect(stores.events.getState().alarms).toEqual([]);
  });

  it('tells the events store when a replay left older missed events out', async () => {
    const { stores, stop } = await run([
      { events: [overspeed(40)], replay: true },
      { events: [overspeed(41), overspeed(42)], replay: true, truncated: true },
    ]);
    cleanup.push(stop);
    expect(stores.events.getState().replayGap).toMatchObject({
      replayed: 2,
      oldestReplayedId: 41,
    });
  });

  it('raises none when the dispatcher turned notifications off', async () => {
    const { notified, stores, stop } = await run([{ events: [overspeed(30)] }], false);
    cleanup.push(stop);
    expect(stores.events.getState().alarms.map((a) => a.event.id)).toEqual([30]);
    expect(notified).toEqual([]);
  });
});
