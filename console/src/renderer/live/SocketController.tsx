import { useEffect } from 'react';
import type { FleetEvent } from '@fleetline/protocol';
import { useConsole } from '../app/context';
import type { ConsoleStores } from '../app/context';
import { vehicleNamer } from '../app/vehicle-names';
import { describeEvent } from '../history/event-text';
import type { Platform } from '../platform/platform';
import { FeedClient } from './feed-client';
import type { FeedClientOptions } from './feed-client';
import { UpdateBuffer } from './update-buffer';

/** The store sees live updates at most this often (4 per second). */
export const FLUSH_INTERVAL_MS = 250;

/**
 * The one owner of the live feed (traccar-web's SocketController): it
 * renders nothing. Messages go through the update buffer, which merges them
 * per vehicle and flushes into the fleet store at a bounded rate; snapshots
 * replace the picture at once; events go to the events store and, for
 * alarms, to a notification.
 */
export function SocketController({
  connect,
  flushIntervalMs = FLUSH_INTERVAL_MS,
}: {
  connect?: FeedClientOptions['connect'];
  flushIntervalMs?: number;
}) {
  const { platform, stores } = useConsole();

  useEffect(() => {
    const { client, buffer } = startFeed(stores, platform, { connect, flushIntervalMs });
    // A change of fleets asks the server for a new scope; it answers with a full snapshot.
    let fleetIds = stores.ui.getState().fleetIds;
    const unsubscribe = stores.ui.subscribe((ui) => {
      if (ui.fleetIds === fleetIds) return;
      fleetIds = ui.fleetIds;
      if (!client.connected) return;
      client.subscribe(ui.fleetIds).then(
        (reply) => {
          if ('error' in reply)
            stores.connection.getState().rejected(`subscription refused: ${reply.error.message}`);
        },
        (err: unknown) =>
          stores.connection.getState().rejected(`subscription failed: ${String(err)}`),
      );
    });
    return () => {
      unsubscribe();
      client.stop();
      buffer.dispose();
    };
  }, [stores, platform, connect, flushIntervalMs]);

  return null;
}

export function startFeed(
  stores: ConsoleStores,
  platform: Platform,
  options: { connect?: FeedClientOptions['connect']; flushIntervalMs: number },
): { client: FeedClient; buffer: UpdateBuffer } {
  const { fleet, events, connection, session, ui } = stores;
  const buffer = new UpdateBuffer(
    (batch) => fleet.getState().applyBatch(batch, Date.now()),
    options.flushIntervalMs,
  );
  const client = new FeedClient({
    serverUrl: platform.serverUrl(),
    token: () => session.getState().token,
    // A stored picture has no cursor: the first connect gets a full snapshot.
    cursor: () => (fleet.getState().source === 'live' ? fleet.getState().cursor : null),
    lastEventId: () => events.getState().lastEventId,
    fleetIds: () => ui.getState().fleetIds,
    connect: options.connect,
    handlers: {
      snapshot(message, { resync }) {
        buffer.discardPending();
        fleet.getState().applySnapshot(message, Date.now());
        if (resync)
          connection.getState().resynced(Date.now(), message.full, message.vehicles.length);
      },
      vehicles: (message) => buffer.push(message),
      events(list, { replay, truncated }) {
        const fresh = events.getState().add(list, { replay, truncated });
        if (!replay) void notifyAlarms(stores, platform, fresh);
      },
      status(status, detail) {
        connection.getState().set(status, Date.now(), detail);
        if (status === 'unauthorized') {
          session
            .getState()
            .signedOut(detail.error ?? 'Your session has ended. Please sign in again.');
        }
      },
      rejected: (reason) => connection.getState().rejected(reason),
      fleetsRefused() {
        ui.getState().setFleetIds(null);
        void platform.updateSettings({ fleetIds: null });
      },
    },
  });
  client.start();
  return { client, buffer };
}

async function notifyAlarms(
  stores: ConsoleStores,
  platform: Platform,
  fresh: FleetEvent[],
): Promise<void> {
  const settings = await platform.settings();
  if (!settings.notifications) return;
  const alarms = stores.events.getState().alarms;
  const raised = new Set(alarms.map((a) => a.event.id));
  for (const event of fresh) {
    if (!raised.has(event.id)) continue;
    const { name } = vehicleNamer(stores)(event.vehicleId);
    await platform.notify({
      title: `${name}: ${describeEvent(event).title}`,
      body: describeEvent(event).detail,
      tag: `${event.vehicleId}:${event.type}`,
    });
  }
}
