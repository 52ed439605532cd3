import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import {
  MAX_ACKNOWLEDGED_ALARMS,
  MAX_LIVE_EVENTS,
  MAX_OPEN_ALARMS,
  compareAlarms,
  createEventsStore,
} from './events-store';

const overspeed = (id: number, late = false): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'overspeed',
  t: id * 1000,
  recordedAt: id * 1000 + 5,
  late,
  data: { speedKmh: 70, limitKmh: 50, lat: 52.5, lon: 13.4 },
});
const ignition = (id: number): FleetEvent => ({
  id,
  vehicleId: 2,
  type: 'ignition_on',
  t: id * 1000,
  recordedAt: id * 1000,
  late: false,
  data: {},
});

describe('events store', () => {
  it('knows the vehicles with an open alarm, and keeps the same set while they are the same', () => {
    const store = createEventsStore();
    const on = (id: number, vehicleId: number): FleetEvent => ({ ...overspeed(id), vehicleId });
    store.getState().add([on(1, 1), on(2, 2)]);
    const first = store.getState().openAlarmVehicleIds;
    expect([...first].sort()).toEqual([1, 2]);
    // One more alarm of a vehicle already there: the same set, nothing to recompute.
    store.getState().add([on(3, 2)]);
    expect(store.getState().openAlarmVehicleIds).toBe(first);
    store.getState().acknowledge(2);
    expect(store.getState().openAlarmVehicleIds).toBe(first);
    // Its last alarm acknowledged, the vehicle goes; replayed and late alarms never come.
    store.getState().acknowledge(3);
    expect([...store.getState().openAlarmVehicleIds]).toEqual([1]);
    store.getState().add([on(4, 5)], { replay: true });
    store.getState().add([{ ...on(5, 6), late: true }]);
    expect([...store.getState().openAlarmVehicleIds]).toEqual([1]);
    store.getState().acknowledgeAll();
    expect(store.getState().openAlarmVehicleIds.size).toBe(0);
  });

  it('keeps events newest first without duplicates and remembers the highest id', () => {
    const store = createEventsStore();
    expect(store.getState().add([overspeed(2), ignition(1)])).toHaveLength(2);
    // A replay after a reconnect overlaps: only the new one is added.
    expect(
      store
        .getState()
        .add([ignition(1), overspeed(3)], { replay: true })
        .map((e) => e.id),
    ).toEqual([3]);
    expect(store.getState().events.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(store.getState().lastEventId).toBe(3);
  });

  it('raises alarms for live alarm events only: not replayed, not late, not routine', () => {
    const store = createEventsStore();
    store.getState().add([overspeed(1), ignition(2), overspeed(3, true)]);
    store.getState().add([overspeed(4)], { replay: true });
    expect(store.getState().alarms.map((a) => a.event.id)).toEqual([1]);
    store.getState().add([overspeed(5)]);
    expect(store.getState().alarms.map((a) => a.event.id)).toEqual([5, 1]);
    store.getState().acknowledge(5);
    expect(store.getState().alarms.find((a) => a.event.id === 5)?.acknowledged).toBe(true);
    store.getState().acknowledgeAll();
    expect(store.getState().alarms.every((a) => a.acknowledged)).toBe(true);
  });

  it('never drops an open alarm to make room: acknowledged ones go first', () => {
    const store = createEventsStore();
    store.getState().add(Array.from({ length: 300 }, (_, i) => overspeed(i + 1)));
    expect(store.getState().alarms.filter((a) => !a.acknowledged)).toHaveLength(300);
    // The oldest open alarm is still there after many newer ones.
    expect(store.getState().alarms.some((a) => a.event.id === 1)).toBe(true);

    store.getState().acknowledgeAll();
    store.getState().add(Array.from({ length: 50 }, (_, i) => overspeed(1000 + i)));
    const { alarms } = store.getState();
    expect(alarms.filter((a) => !a.acknowledged)).toHaveLength(50);
    // Only the newest acknowledged ones are kept.
    expect(alarms.filter((a) => a.acknowledged)).toHaveLength(MAX_ACKNOWLEDGED_ALARMS);
    expect(alarms.some((a) => a.event.id === 1)).toBe(false);
    expect(store.getState().alarmsDropped).toBe(0);
  });

  it('past the memory bound drops the least serious, oldest open alarms and counts them', () => {
    const store = createEventsStore();
    const offline: FleetEvent = {
      id: 1,
      vehicleId: 3,
      type: 'device_offline',
      t: 1000,
      recordedAt: 1000,
      late: false,
      data: { lastSeenAt: 500 },
    };
    store.getState().add([offline]);
    store.getState().add(Array.from({ length: MAX_OPEN_ALARMS + 4 }, (_, i) => overspeed(i + 2)));
    const open = store.getState().alarms.filter((a) => !a.acknowledged);
    expect(open).toHaveLength(MAX_OPEN_ALARMS);
    expect(store.getState().alarmsDropped).toBe(5);
    // The serious one stays even though it is the oldest; the oldest overspeeds went.
    expect(open.some((a) => a.event.id === 1)).toBe(true);
    expect(open.some((a) => a.event.id === 2)).toBe(false);
    expect(open.some((a) => a.event.id === MAX_OPEN_ALARMS + 5)).toBe(true);
  });

  it('ranks offline and trouble codes above harsh braking above overspeed, newest first within a kind', () => {
    const at = (id: number, type: 'device_offline' | 'dtc_new' | 'harsh_braking'): FleetEvent =>
      type === 'device_offline'
        ? { ...overspeed(id), type, data: { lastSeenAt: 0 } }
        : type === 'dtc_new'
          ? { ...overspeed(id), type, data: { code: 'P0301', dtcKind: 'stored' } }
          : {
              ...overspeed(id),
              type,
              data: {
                lat: null,
                lon: null,
                speedKmh: null,
                accelMs2: -6,
                durationS: null,
                distanceKm: null,
              },
            };
    const store = createEventsStore();
    store
      .getState()
      .add([
        at(1, 'dtc_new'),
        overspeed(2),
        at(3, 'harsh_braking'),
        at(4, 'device_offline'),
        overspeed(5),
      ]);
    const order = [...store.getState().alarms].sort(compareAlarms).map((a) => a.event.id);
    expect(order).toEqual([4, 1, 3, 5, 2]);
  });

  it('is bounded', () => {
    const store = createEventsStore();
    store.getState().add(Array.from({ length: MAX_LIVE_EVENTS + 10 }, (_, i) => ignition(i + 1)));
    expect(store.getState().events).toHaveLength(MAX_LIVE_EVENTS);
    expect(store.getState().events[0]?.id).toBe(MAX_LIVE_EVENTS + 10);
  });

  it('notes a replay that left older missed events out, until dismissed', () => {
    const store = createEventsStore();
    store.getState().add([ignition(1), ignition(2)]);
    // A reconnect after a short outage: everything missed was replayed.
    store.getState().add([ignition(3), ignition(4)], { replay: true });
    expect(store.getState().replayGap).toBeNull();
    // Live events are never "truncated", whatever they say.
    store.getState().add([ignition(5)], { truncated: true });
    expect(store.getState().replayGap).toBeNull();

    // A long outage: events 6 to 99 were left out, the newest three replayed (oldest first).
    store.getState().add([ignition(100), ignition(101), ignition(102)], {
      replay: true,
      truncated: true,
    });
    // What is missing was recorded after event 5 and before event 100.
    expect(store.getState().replayGap).toEqual({
      replayed: 3,
      oldestReplayedId: 100,
      missingAfter: 5000,
      missingBefore: 100_000,
    });
    // Another short outage before anyone looked: the gap is still there.
    store.getState().add([ignition(103)], { replay: true });
    expect(store.getState().replayGap?.oldestReplayedId).toBe(100);

    store.getState().dismissReplayGap();
    expect(store.getState().replayGap).toBeNull();
    // A later complete replay does not bring the notice back...
    store.getState().add([ignition(104)], { replay: true });
    expect(store.getState().replayGap).toBeNull();
    // ...a new truncated one does.
    store.getState().add([ignition(200), ignition(201)], { replay: true, truncated: true });
    expect(store.getState().replayGap).toEqual({
      replayed: 2,
      oldestReplayedId: 200,
      missingAfter: 104_000,
      missingBefore: 200_000,
    });
    store.getState().clear();
    expect(store.getState().replayGap).toBeNull();
  });

  it('takes stored events only when it has none', () => {
    const store = createEventsStore();
    store.getState().loadStored([ignition(4), ignition(9)]);
    expect(store.getState().lastEventId).toBe(9);
    store.getState().loadStored([ignition(20)]);
    expect(store.getState().events.map((e) => e.id)).toEqual([9, 4]);
  });
});
