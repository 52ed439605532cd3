import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { ApiClient } from '../api/client';
import type { Platform } from '../platform/platform';
import { createConnectionStore } from '../stores/connection-store';
import type { ConnectionStore } from '../stores/connection-store';
import { createEventsStore } from '../stores/events-store';
import type { EventsStore } from '../stores/events-store';
import { createFleetStore } from '../stores/fleet-store';
import type { FleetStore } from '../stores/fleet-store';
import { closeReplayWithSelection, createHistoryStore } from '../stores/history-store';
import type { HistoryStore } from '../stores/history-store';
import { createSessionStore } from '../stores/session-store';
import type { SessionStore } from '../stores/session-store';
import { createUiStore } from '../stores/ui-store';
import type { UiStore } from '../stores/ui-store';

/**
 * Every store of the console. One object per window, created at start-up
 * and handed down by context, so tests build their own. Incidents (SOS) and
 * job reassignment get their own stores here next to these.
 */
export interface ConsoleStores {
  session: SessionStore;
  connection: ConnectionStore;
  fleet: FleetStore;
  events: EventsStore;
  ui: UiStore;
  history: HistoryStore;
}

export function createConsoleStores(): ConsoleStores {
  const stores = {
    session: createSessionStore(),
    connection: createConnectionStore(),
    fleet: createFleetStore(),
    events: createEventsStore(),
    ui: createUiStore(),
    history: createHistoryStore(),
  };
  // For the window's life, like the stores themselves.
  closeReplayWithSelection(stores.ui, stores.history);
  keepDataToItsUser(stores);
  return stores;
}

/**
 * What the console holds of a user's (vehicles, their names, the event log,
 * open alarms, the selection) is for that user only: when another signs in,
 * who may not be allowed to see those fleets, it is all dropped before
 * anything of the new session is shown. The same user signing in again after
 * the session ended (expired, refused by the server) keeps it, so an alarm
 * not yet acknowledged does not vanish; the feed's replay then catches up.
 * Subscribed before any component, so it runs before React sees the change.
 */
function keepDataToItsUser(stores: ConsoleStores): void {
  stores.session.subscribe((s) => {
    if (s.status !== 'signed-in' || !s.user || s.user.id === s.dataUserId) return;
    // Also with no known previous user: whatever the stores hold is nobody's to show.
    stores.fleet.getState().clear();
    stores.events.getState().clear();
    stores.ui.getState().select(null);
    stores.ui.getState().clearFilter();
    stores.session.setState({ dataUserId: s.user.id });
  });
}

export interface ConsoleServices {
  platform: Platform;
  api: ApiClient;
  stores: ConsoleStores;
}

const ConsoleContext = createContext<ConsoleServices | null>(null);

export function ConsoleProvider({
  services,
  children,
}: {
  services: ConsoleServices;
  children: ReactNode;
}) {
  return <ConsoleContext.Provider value={services}>{children}</ConsoleContext.Provider>;
}

export function useConsole(): ConsoleServices {
  const services = useContext(ConsoleContext);
  if (!services) throw new Error('useConsole outside ConsoleProvider');
  return services;
}

/** Subscribes a component to a slice of one store. */
export function useSlice<S, T>(store: StoreApi<S>, selector: (state: S) => T): T {
  return useStore(store, selector);
}
