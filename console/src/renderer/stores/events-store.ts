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

/**
 * A replay that left events out: more were missed while the console was
 * away than the server replays, and it sent only the newest. Kept until a
 * dispatcher dismisses it, so a log that looks complete is not taken for it.
 */
export interface ReplayGap {
  /** How many missed events the replay carried (the newest of them). */
  replayed: number;
  /** The oldest event the replay carried: the missed ones below it were left out. */
  oldestReplayedId: number;
  /**
   * When the server recorded what is missing: after the newest event this
   * console had (null: it had none) and before the oldest replayed one. By
   * recording time, not event time: late events make event times overlap.
   */
  missingAfter: number | null;
  missingBefore: number;
}

export interface EventsState {
  /** Newest first, no duplicates (replays after a reconnect overlap what we have). */
  events: FleetEvent[];
  /** The highest event id seen: sent as `lastEventId` on reconnect. */
  lastEventId: number | null;
  /** Alarms raised while this console was watching (not late ones), newest first. */
  alarms: Alarm[];
  /** Set by a truncated replay; cleared only when dismissed (or on sign-out). */
  replayGap: ReplayGap | null;

  add(
    events: readonly FleetEvent[],
    options?: { replay?: boolean; truncated?: boolean },
  ): FleetEvent[];
  loadStored(events: readonly FleetEvent[]): void;
  acknowledge(eventId: number): void;
  acknowledgeAll(): void;
  dismissReplayGap(): void;
  clear(): void;
}

export type EventsStore = ReturnType<typeof createEventsStore>;

export function createEventsStore() {
  return createStore<EventsState>()((set, get) => ({
    events: [],
    lastEventId: null,
    alarms: [],
    replayGap: null,

    /** Adds what is new and returns it (the caller notifies about those). */
    add(incoming, options = {}) {
      const { events, lastEventId } = get();
      // Only a truncated replay sets (or replaces) the notice: a later one
      // that left nothing out says nothing about the earlier gap.
      const shownGap = get().replayGap;
      const replayGap =
        options.replay && options.truncated
          ? (gapOf(incoming, events[0]?.recordedAt ?? null, shownGap) ?? shownGap)
          : shownGap;
      const known = new Set(events.map((e) => e.id));
      const fresh = incoming.filter((e) => !known.has(e.id));
      if (fresh.length === 0) {
        if (replayGap !== shownGap) set({ replayGap });
        return [];
      }
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
        replayGap,
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

    dismissReplayGap() {
      set({ replayGap: null });
    },

    clear() {
      set({ events: [], lastEventId: null, alarms: [], replayGap: null });
    },
  }));
}

function gapOf(
  replayed: readonly FleetEvent[],
  newestKnownRecordedAt: number | null,
  shown: ReplayGap | null,
): ReplayGap | null {
  const oldest = replayed.reduce<FleetEvent | undefined>(
    (min, e) => (min === undefined || e.id < min.id ? e : min),
    undefined,
  );
  if (!oldest) return null;
  return {
    replayed: replayed.length,
    oldestReplayedId: oldest.id,
    // Two truncated replays before anyone looked: what was left out reaches
    // back to the end of what the console had before the first outage.
    missingAfter: shown ? shown.missingAfter : newestKnownRecordedAt,
    missingBefore: oldest.recordedAt,
  };
}
