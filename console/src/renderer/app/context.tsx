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
  const fleet = createFleetStore();
  const stores = {
    session: createSessionStore(),
    connection: createConnectionStore(),
    fleet,
    events: createEventsStore(),
    ui: createUiStore(),
    history: createHistoryStore(),
  };
  // For the window's life, like the stores themselves.
  closeReplayWithSelection(stores.ui, stores.history);
  // The names of the vehicles held this session are for this user only: a
  // session that ends (signed out, expired, refused) may be followed by
  // another user's, who may not be allowed to see those vehicles.
  stores.session.subscribe((s, prev) => {
    if (s.status === 'signed-out' && prev.status !== 'signed-out') {
      fleet.getState().forgetVehicleNames();
    }
  });
  return stores;
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
