import { createStore } from 'zustand/vanilla';
import type { EventType, FleetEvent } from '@fleetline/protocol';

/** Events kept in memory for the live log (newest first). */
export const MAX_LIVE_EVENTS = 1000;

/**
 * Events that need a dispatcher's attention, by how serious they are (higher
 * first in the dock): a vehicle gone silent or a new trouble code needs
 * someone to act, a hard brake may, an overspeed is mostly noise that must not
 * bury the others. SOS joins them in the next release, above everything.
 */
export const ALARM_SEVERITY: Readonly<Partial<Record<EventType, number>>> = {
  device_offline: 2,
  dtc_new: 2,
  harsh_braking: 1,
  overspeed: 0,
};

export const ALARM_TYPES: ReadonlySet<EventType> = new Set(
  Object.keys(ALARM_SEVERITY) as EventType[],
);

/**
 * Acknowledged alarms kept (newest); they are dropped first, whenever there
 * are more, so they never take the room of open ones.
 */
export const MAX_ACKNOWLEDGED_ALARMS = 200;
/**
 * Open alarms are never dropped to make room for acknowledged ones or for
 * each other under ordinary load; this bound only keeps a console left open
 * through a storm from growing without end. Past it the least serious, oldest
 * open alarms go, and `alarmsDropped` counts them so the dock can say so.
 */
export const MAX_OPEN_ALARMS = 10_000;

export interface Alarm {
  event: FleetEvent;
  acknowledged: boolean;
}

export function alarmSeverity(alarm: Alarm): number {
  return ALARM_SEVERITY[alarm.event.type] ?? 0;
}

/** Most serious first, then newest first: the order the dock lists open alarms in. */
export function compareAlarms(a: Alarm, b: Alarm): number {
  return alarmSeverity(b) - alarmSeverity(a) || b.event.id - a.event.id;
}

/** A vehicle's open alarms, as its row in the vehicle list marks them. */
export interface VehicleOpenAlarms {
  count: number;
  /** The one the dock lists first: the most serious, then the newest. */
  first: Alarm;
}

/** The open alarms of each vehicle that has any: one pass over the list. */
export function openAlarmsByVehicle(alarms: readonly Alarm[]): Map<number, VehicleOpenAlarms> {
  const byVehicle = new Map<number, VehicleOpenAlarms>();
  for (const alarm of alarms) {
    if (alarm.acknowledged) continue;
    const id = alarm.event.vehicleId;
    const seen = byVehicle.get(id);
    if (!seen) byVehicle.set(id, { count: 1, first: alarm });
    else {
      seen.count += 1;
      if (compareAlarms(alarm, seen.first) < 0) seen.first = alarm;
    }
  }
  return byVehicle;
}

/** Keeps every open alarm up to the memory bound, and the newest acknowledged ones. */
function boundAlarms(alarms: Alarm[]): { alarms: Alarm[]; dropped: number } {
  const open = alarms.filter((a) => !a.acknowledged);
  const acknowledged = alarms.filter((a) => a.acknowledged);
  let dropOpen = new Set<Alarm>();
  if (open.length > MAX_OPEN_ALARMS) {
    dropOpen = new Set([...open].sort(compareAlarms).slice(MAX_OPEN_ALARMS));
  }
  const keepAcknowledged = new Set(
    [...acknowledged].sort((a, b) => b.event.id - a.event.id).slice(0, MAX_ACKNOWLEDGED_ALARMS),
  );
  if (dropOpen.size === 0 && keepAcknowledged.size === acknowledged.length) {
    return { alarms, dropped: 0 };
  }
  return {
    alarms: alarms.filter((a) => (a.acknowledged ? keepAcknowledged.has(a) : !dropOpen.has(a))),
    dropped: dropOpen.size,
  };
}

/**
 * The vehicles with at least one open alarm: the ones the dock is about, and
 * what the "Open alarms" filter chip shows. The previous set is handed back
 * when the vehicles are the same, so what depends on it (the vehicle list,
 * the map) does not recompute for an alarm more on a vehicle already there.
 */
function openAlarmVehicles(
  alarms: readonly Alarm[],
  previous: ReadonlySet<number>,
): ReadonlySet<number> {
  const ids = new Set<number>();
  for (const a of alarms) if (!a.acknowledged) ids.add(a.event.vehicleId);
  if (ids.size === previous.size && [...ids].every((id) => previous.has(id))) return previous;
  return ids;
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
  /** Open alarms dropped since sign-in because more than MAX_OPEN_ALARMS were open. */
  alarmsDropped: number;
  /** Ids of the vehicles with an open alarm (the same set while they are the same). */
  openAlarmVehicleIds: ReadonlySet<number>;
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
    alarmsDropped: 0,
    openAlarmVehicleIds: new Set(),
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
      set((s) => {
        const bounded = raised.length
          ? boundAlarms([...raised.reverse(), ...s.alarms])
          : { alarms: s.alarms, dropped: 0 };
        return {
          events: merged,
          lastEventId: maxId,
          alarms: bounded.alarms,
          alarmsDropped: s.alarmsDropped + bounded.dropped,
          openAlarmVehicleIds: openAlarmVehicles(bounded.alarms, s.openAlarmVehicleIds),
          replayGap,
        };
      });
      return fresh;
    },

    loadStored(stored) {
      if (get().events.length > 0) return;
      const events = [...stored].sort((a, b) => b.id - a.id).slice(0, MAX_LIVE_EVENTS);
      set({ events, lastEventId: events[0]?.id ?? null });
    },

    acknowledge(eventId) {
      set((s) => {
        const { alarms } = boundAlarms(
          s.alarms.map((a) => (a.event.id === eventId ? { ...a, acknowledged: true } : a)),
        );
        return { alarms, openAlarmVehicleIds: openAlarmVehicles(alarms, s.openAlarmVehicleIds) };
      });
    },

    acknowledgeAll() {
      set((s) => ({
        alarms: boundAlarms(s.alarms.map((a) => ({ ...a, acknowledged: true }))).alarms,
        openAlarmVehicleIds: openAlarmVehicles([], s.openAlarmVehicleIds),
      }));
    },

    dismissReplayGap() {
      set({ replayGap: null });
    },

    clear() {
      set({
        events: [],
        lastEventId: null,
        alarms: [],
        alarmsDropped: 0,
        openAlarmVehicleIds: new Set(),
        replayGap: null,
      });
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
