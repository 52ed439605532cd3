import { createStore } from 'zustand/vanilla';
import type { EventType, FleetEvent } from '@fleetline/protocol';

/** Events kept in memory for the live log (newest first). */
export const MAX_LIVE_EVENTS = 1000;

/** Events that need a dispatcher's attention; SOS joins them in the next release. */
export const ALARM_TYPES: ReadonlySet<EventType> = new Set([
  'overspeed',
  'dtc_new',
  'device_offline',
  'harsh_braking',
]);

export interface Alarm {
  event: FleetEvent;
  acknowledged: boolean;
}

export interface EventsState {
  /** Newest first, no duplicates (replays after a reconnect overlap what we have). */
  events: FleetEvent[];
  /** The highest event id seen: sent as `lastEventId` on reconnect. */
  lastEventId: number | null;
  /** Alarms raised while this console was watching (not late ones), newest first. */
  alarms: Alarm[];

  add(events: readonly FleetEvent[], options?: { replay?: boolean }): FleetEvent[];
  loadStored(events: readonly FleetEvent[]): void;
  acknowledge(eventId: number): void;
  acknowledgeAll(): void;
  clear(): void;
}

export type EventsStore = ReturnType<typeof createEventsStore>;

export function createEventsStore() {
  return createStore<EventsState>()((set, get) => ({
    events: [],
    lastEventId: null,
    alarms: [],

    /** Adds what is new and returns it (the caller notifies about those). */
    add(incoming, options = {}) {
      const { events, lastEventId } = get();
      const known = new Set(events.map((e) => e.id));
      const fresh = incoming.filter((e) => !known.has(e.id));
      if (fresh.length === 0) return [];
      const merged = [...fresh, ...events].sort((a, b) => b.id - a.id).slice(0, MAX_LIVE_EVENTS);
      const maxId = Math.max(lastEventId ?? 0, ...fresh.map((e) => e.id));
      // Replayed and late events are history: they go to the log, not to the alarm list.
      const raised = options.replay
        ? []
        : fresh
            .filter((e) => ALARM_TYPES.has(e.type) && !e.late)
            .map((event) => ({ event, acknowledged: false }));
      set((s) => ({
        events: merged,
        lastEventId: maxId,
        alarms: raised.length ? [...raised.reverse(), ...s.alarms].slice(0, 200) : s.alarms,
      }));
      return fresh;
    },

    loadStored(stored) {
      if (get().events.length > 0) return;
      const events = [...stored].sort((a, b) => b.id - a.id).slice(0, MAX_LIVE_EVENTS);
      set({ events, lastEventId: events[0]?.id ?? null });
    },

    acknowledge(eventId) {
      set((s) => ({
        alarms: s.alarms.map((a) => (a.event.id === eventId ? { ...a, acknowledged: true } : a)),
      }));
    },

    acknowledgeAll() {
      set((s) => ({ alarms: s.alarms.map((a) => ({ ...a, acknowledged: true })) }));
    },

    clear() {
      set({ events: [], lastEventId: null, alarms: [] });
    },
  }));
}
