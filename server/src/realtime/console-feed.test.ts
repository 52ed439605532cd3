import { describe, expect, it } from 'vitest';
import type {
  FleetEventsMessage,
  FleetSnapshotMessage,
  TelemetrySample,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';
import { LiveState } from '../live/live-state.js';
import type { VehicleRecord } from '../repositories/vehicles.js';
import { ConsoleFeed } from './console-feed.js';
import type { FeedTransport } from './console-feed.js';

let transportIds = 0;
class RecordingTransport {
  readonly id = `t${++transportIds}`;
  snapshots: FleetSnapshotMessage[] = [];
  messages: VehicleUpdatesMessage[] = [];
  events: FleetEventsMessage[] = [];
  busy = false;
  snapshot(m: FleetSnapshotMessage) {
    this.snapshots.push(m);
  }
  vehicles(m: VehicleUpdatesMessage) {
    this.messages.push(m);
  }
  congested() {
    return this.busy;
  }
}
// The interface's method is named `events`; keep the recorder's list separate.
const events = (t: RecordingTransport): FeedTransport => ({
  id: t.id,
  snapshot: (m) => t.snapshot(m),
  vehicles: (m) => t.vehicles(m),
  events: (m) => t.events.push(m),
  congested: () => t.congested(),
});

const record = (id: number): VehicleRecord => ({
  id,
  name: `V${id}`,
  plate: null,
  vin: null,
  fleetIds: [1],
  overspeedLimitKmh: 90,
  deviceId: id,
  driver: null,
});
let seq = 0;
const fix = (t: number, lat: number, lon = 0): TelemetrySample => ({
  kind: 'position',
  seq: ++seq,
  t,
  lat,
  lon,
  speedKmh: 10,
  fixQuality: 'gps',
});

function setup(ids = [1, 2, 3], broadcasts: string[][] = []) {
  const live = new LiveState();
  live.upsertRecords(ids.map(record));
  const feed = new ConsoleFeed(live, { now: () => 1 }, 50, (transports, message) => {
    broadcasts.push(transports.map((t) => t.id));
    for (const t of transports) t.vehicles(message);
  });
  const apply = (samples: Record<number, TelemetrySample[]>) => {
    const plan = live.plan(new Map(Object.entries(samples).map(([k, v]) => [Number(k), v])), {
      now: 1,
      overspeedMinMs: 0,
    });
    feed.vehiclesChanged(live.commit(plan));
    return plan;
  };
  return { live, feed, apply };
}

describe('ConsoleFeed', () => {
  it('merges many changes to a vehicle into one update per tick, and sends nothing when idle', () => {
    const { feed, apply } = setup();
    const t = new RecordingTransport();
    feed.add(events(t), { vehicleIds: new Set([1, 2, 3]), fleets: [], viewport: null });
    for (let i = 0; i < 50; i++) apply({ 1: [fix(i, i)], 2: [fix(i, -i)] });
    feed.tick();
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]!.updates.map((u) => [u.id, u.position?.lat])).toEqual([
      [1, 49],
      [2, -49],
    ]);
    feed.tick();
    expect(t.messages).toHaveLength(1);
  });

  it('holds updates for a congested console and then sends one merged message', () => {
    const { feed, apply } = setup();
    const t = new RecordingTransport();
    feed.add(events(t), { vehicleIds: new Set([1, 2]), fleets: [], viewport: null });
    t.busy = true;
    apply({ 1: [fix(1, 1)] });
    feed.tick();
    apply({ 2: [fix(2, 2)] });
    feed.tick();
    expect(t.messages).toHaveLength(0);
    t.busy = false;
    feed.tick();
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]!.updates.map((u) => u.id).sort()).toEqual([1, 2]);
  });

  it('sends each console only its vehicles, and events only of its vehicles', () => {
    const { feed, apply } = setup();
    const a = new RecordingTransport();
    const b = new RecordingTransport();
    feed.add(events(a), { vehicleIds: new Set([1]), fleets: [], viewport: null });
    feed.add(events(b), { vehicleIds: new Set([2]), fleets: [], viewport: null });
    const plan = apply({ 1: [fix(1, 1)] });
    feed.tick();
    expect(a.messages).toHaveLength(1);
    expect(b.messages).toHaveLength(0);
    feed.eventsStored(plan.events.map((e, i) => ({ ...e, id: i + 1, recordedAt: 1 })));
    expect(a.events[0]?.events.map((e) => e.type)).toEqual(['device_online']);
    expect(b.events).toEqual([]);
  });

  it('resumes from a cursor with only changed vehicles, or falls back to a full snapshot', () => {
    const { feed, apply, live } = setup();
    apply({ 1: [fix(1, 1)] });
    const cursor = { epoch: live.epoch, rev: live.rev };
    apply({ 2: [fix(2, 2)] });
    const resumed = new RecordingTransport();
    feed.add(
      events(resumed),
      { vehicleIds: new Set([1, 2, 3]), fleets: [], viewport: null },
      cursor,
    );
    expect(resumed.snapshots[0]).toMatchObject({ full: false, vehicleIds: [1, 2, 3] });
    expect(resumed.snapshots[0]!.vehicles.map((v) => v.id)).toEqual([2]);
    const future = new RecordingTransport();
    feed.add(
      events(future),
      { vehicleIds: new Set([1]), fleets: [], viewport: null },
      { epoch: live.epoch, rev: live.rev + 10 },
    );
    expect(future.snapshots[0]!.full).toBe(true);
  });

  it('tells a console about vehicles added to or removed from what it may see', () => {
    const { feed, apply } = setup();
    const t = new RecordingTransport();
    const subscriber = feed.add(events(t), {
      vehicleIds: new Set([1, 2]),
      fleets: [],
      viewport: null,
    });
    apply({ 3: [fix(1, 3)] });
    feed.rescope(subscriber, new Set([1, 3]), []);
    feed.tick();
    expect(t.messages[0]).toMatchObject({ removed: [2], updates: [] });
    expect(t.messages[0]!.added?.map((v) => v.id)).toEqual([3]);
  });

  it('builds one message for consoles sharing a scope and a revision, and keeps the others apart', () => {
    const broadcasts: string[][] = [];
    const { feed, apply } = setup([1, 2, 3], broadcasts);
    const shared = { vehicleIds: new Set([1, 2]), fleets: [], viewport: null };
    const a = new RecordingTransport();
    const b = new RecordingTransport();
    const c = new RecordingTransport();
    const lagging = new RecordingTransport();
    feed.add(events(a), shared);
    feed.add(events(b), shared);
    feed.add(events(c), { vehicleIds: new Set([1, 2]), fleets: [], viewport: null });
    feed.add(events(lagging), shared);
    lagging.busy = true;
    apply({ 1: [fix(1, 1)] });
    feed.tick();
    expect(broadcasts).toEqual([[a.id, b.id]]);
    // Equal messages, and the one built for another scope object has the same content.
    expect(a.messages[0]).toBe(b.messages[0]);
    expect(c.messages[0]).toEqual(a.messages[0]);
    expect(lagging.messages).toHaveLength(0);
    // The congested console catches up alone: its revision differs from the group's.
    lagging.busy = false;
    apply({ 2: [fix(2, 2)] });
    feed.tick();
    expect(broadcasts[1]).toEqual([a.id, b.id]);
    expect(lagging.messages[0]!.updates.map((u) => u.id).sort()).toEqual([1, 2]);
    expect(a.messages[1]!.updates.map((u) => u.id)).toEqual([2]);
  });
});
