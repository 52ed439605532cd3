import { describe, expect, it } from 'vitest';
import type { FleetSnapshotMessage } from '@fleetline/protocol';
import { UpdateBuffer } from '../live/update-buffer';
import type { MergedBatch } from '../live/update-buffer';
import { cursor, position, updates, vehicleSnapshot } from '../testing/fixtures';
import { TRAIL_LENGTH, createFleetStore, readingKey } from './fleet-store';

const fleets = [{ id: 1, name: 'City', overspeedLimitKmh: 50 }];

function snapshot(
  vehicles: FleetSnapshotMessage['vehicles'],
  extra: Partial<FleetSnapshotMessage> = {},
): FleetSnapshotMessage {
  return { cursor: cursor(10), full: true, fleets, vehicles, serverTime: 5_000, ...extra };
}

/** Runs feed messages through a real buffer and returns the merged batch. */
function batchOf(...messages: Parameters<UpdateBuffer['push']>[0][]): MergedBatch {
  let out: MergedBatch | undefined;
  const buffer = new UpdateBuffer((b) => (out = b), 1000);
  for (const m of messages) buffer.push(m);
  buffer.flush();
  if (!out) throw new Error('no batch');
  return out;
}

describe('fleet store', () => {
  it('replaces the picture with a full snapshot and classifies each vehicle', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(
        snapshot([vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2, online: false })]),
        4_000,
      );
    store
      .getState()
      .applySnapshot(
        snapshot([
          vehicleSnapshot({ id: 2, online: false }),
          vehicleSnapshot({ id: 3, overspeed: true }),
          vehicleSnapshot({ id: 4, position: position(1, 13.4, 52.5, 0) }),
        ]),
        4_500,
      );
    const s = store.getState();
    expect([...s.vehicles.keys()].sort()).toEqual([2, 3, 4]);
    expect(s.vehicles.get(2)?.state).toBe('offline');
    expect(s.vehicles.get(3)?.state).toBe('alarm');
    expect(s.vehicles.get(4)?.state).toBe('idle');
    expect(s.cursor).toEqual(cursor(10));
    expect(s.source).toBe('live');
    expect(s.serverTimeOffsetMs).toBe(500);
    expect(s.changed.has(1)).toBe(true);
  });

  it('applies a resumed (partial) snapshot: changed vehicles replaced, invisible ones dropped, others kept', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(
        snapshot([
          vehicleSnapshot({ id: 1 }),
          vehicleSnapshot({ id: 2 }),
          vehicleSnapshot({ id: 3 }),
        ]),
        0,
      );
    const unchanged = store.getState().vehicles.get(3);
    store.getState().applySnapshot(
      snapshot([vehicleSnapshot({ id: 1, name: 'Renamed', rev: 20 })], {
        full: false,
        vehicleIds: [1, 3],
      }),
      0,
    );
    const s = store.getState();
    expect(s.vehicles.get(1)?.name).toBe('Renamed');
    expect(s.vehicles.has(2)).toBe(false);
    expect(s.vehicles.get(3)).toBe(unchanged);
  });

  it('merges a batch into new records for changed vehicles only, and ignores revisions it already has', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(
        snapshot([vehicleSnapshot({ id: 1, rev: 5 }), vehicleSnapshot({ id: 2, rev: 5 })]),
        0,
      );
    const two = store.getState().vehicles.get(2);
    const listBefore = store.getState().listRevision;
    store.getState().applyBatch(
      batchOf(
        updates(11, [
          {
            id: 1,
            rev: 6,
            position: position(2_000, 13.5),
            readings: [{ pid: 12, part: 0, t: 2_000, value: 1500, unit: 'rpm' }],
          },
          { id: 2, rev: 4, online: false },
        ]),
      ),
      3_000,
    );
    const s = store.getState();
    expect(s.vehicles.get(1)?.position?.lon).toBe(13.5);
    expect(s.vehicles.get(1)?.readings).toEqual([
      { pid: 12, part: 0, t: 2_000, value: 1500, unit: 'rpm' },
    ]);
    expect(s.vehicles.get(1)?.rev).toBe(6);
    // rev 4 is older than what the console holds: nothing changes.
    expect(s.vehicles.get(2)).toBe(two);
    expect([...s.changed]).toEqual([1]);
    expect(s.cursor).toEqual(cursor(11));
    // A moving vehicle that keeps moving does not change what lists show.
    expect(s.listRevision).toBe(listBefore);
  });

  it('tells lists when a state changes (moving to alarm), adds and removes vehicles', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(snapshot([vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2 })]), 0);
    const list = store.getState().listRevision;
    const alarms = store.getState().alarmRevision;
    store.getState().applyBatch(
      batchOf(
        updates(11, [{ id: 1, rev: 2, overspeed: true }], {
          removed: [2],
          added: [vehicleSnapshot({ id: 9 })],
        }),
      ),
      0,
    );
    const s = store.getState();
    expect(s.vehicles.get(1)?.state).toBe('alarm');
    expect(s.vehicles.has(2)).toBe(false);
    expect(s.vehicles.get(9)?.state).toBe('moving');
    expect(s.listRevision).toBe(list + 1);
    // Into alarm: the map is told to redraw at once.
    expect(s.alarmRevision).toBe(alarms + 1);
    // Moving on while in alarm is not news for the alarm colour, nor for lists; leaving the alarm is.
    store
      .getState()
      .applyBatch(batchOf(updates(12, [{ id: 1, rev: 3, position: position(3_000, 13.6) }])), 0);
    expect(store.getState().alarmRevision).toBe(alarms + 1);
    expect(store.getState().listRevision).toBe(list + 1);
    // Stopping while in alarm is news for lists: the filter counts it as idle now.
    store
      .getState()
      .applyBatch(
        batchOf(updates(13, [{ id: 1, rev: 4, position: position(4_000, 13.6, 52.52, 0) }])),
        0,
      );
    expect(store.getState().vehicles.get(1)?.state).toBe('alarm');
    expect(store.getState().listRevision).toBe(list + 2);
    store.getState().applyBatch(batchOf(updates(14, [{ id: 1, rev: 5, overspeed: false }])), 0);
    expect(store.getState().vehicles.get(1)?.state).not.toBe('alarm');
    expect(store.getState().alarmRevision).toBe(alarms + 2);
  });

  it('takes a changed record (renamed, new driver) from the details section, and tells lists', () => {
    const store = createFleetStore();
    store.getState().applySnapshot(snapshot([vehicleSnapshot({ id: 1, rev: 1 })]), 0);
    const list = store.getState().listRevision;
    const details = {
      name: 'Van 1 (spare)',
      plate: 'B-FL 9',
      vin: null,
      fleetIds: [1, 2],
      deviceId: 4,
      driver: { id: 7, name: 'Ana Souza' },
    };
    store.getState().applyBatch(batchOf(updates(11, [{ id: 1, rev: 2, details }])), 0);
    const v = store.getState().vehicles.get(1);
    expect(v).toMatchObject(details);
    expect(v?.position?.lon).toBe(13.405);
    expect(store.getState().listRevision).toBe(list + 1);
  });

  it('keeps the name and plate of every vehicle held this session, also once it leaves the view, until cleared', () => {
    const store = createFleetStore();
    const names = () => Object.fromEntries(store.getState().vehicleNames);
    store.getState().loadStored({ fleets, vehicles: [vehicleSnapshot({ id: 5 })], receivedAt: 1 });
    store
      .getState()
      .applySnapshot(
        snapshot([vehicleSnapshot({ id: 1, rev: 1 }), vehicleSnapshot({ id: 2, plate: null })]),
        0,
      );
    // The fleet picker narrowed the view to vehicle 1; vehicle 1 renamed, 3 joins.
    store.getState().applySnapshot(snapshot([vehicleSnapshot({ id: 1, rev: 1 })]), 0);
    const details = {
      name: 'Van 1 (spare)',
      plate: 'B-FL 9',
      vin: null,
      fleetIds: [1],
      deviceId: 1,
      driver: null,
    };
    store.getState().applyBatch(batchOf(updates(11, [{ id: 1, rev: 2, details }])), 0);
    store
      .getState()
      .applyBatch(batchOf(updates(12, [], { added: [vehicleSnapshot({ id: 3 })] })), 0);
    expect([...store.getState().vehicles.keys()].sort()).toEqual([1, 3]);
    expect(names()).toEqual({
      1: { name: 'Van 1 (spare)', plate: 'B-FL 9' },
      2: { name: 'Van 2', plate: null },
      3: { name: 'Van 3', plate: 'B-FL 3' },
      5: { name: 'Van 5', plate: 'B-FL 5' },
    });
    // Only a name or plate changing moves namesRevision, not a position.
    const revision = store.getState().namesRevision;
    store.getState().applyBatch(batchOf(updates(13, [{ id: 1, rev: 3 }])), 0);
    expect(store.getState().namesRevision).toBe(revision);

    store.getState().clear();
    expect(store.getState().vehicleNames.size).toBe(0);
    expect(store.getState().namesRevision).toBe(revision + 1);
  });

  it('keeps a capped trail per vehicle, moving only forward in time', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(snapshot([vehicleSnapshot({ id: 1, position: position(0, 13) })]), 0);
    for (let i = 1; i <= TRAIL_LENGTH + 50; i++)
      store
        .getState()
        .applyBatch(
          batchOf(updates(10 + i, [{ id: 1, rev: 1 + i, position: position(i, 13 + i / 1e4) }])),
          0,
        );
    store
      .getState()
      .applyBatch(batchOf(updates(999, [{ id: 1, rev: 999, position: position(5, 14) }])), 0);
    const trail = store.getState().trails.get(1) ?? [];
    expect(trail).toHaveLength(TRAIL_LENGTH);
    expect(trail.at(-1)?.t).toBe(TRAIL_LENGTH + 50);
    expect(trail.every((p, i) => i === 0 || p.t > (trail[i - 1]?.t ?? 0))).toBe(true);
  });

  it('collects reading series for watched vehicles only, after the loaded history', () => {
    const store = createFleetStore();
    store
      .getState()
      .applySnapshot(snapshot([vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2 })]), 0);
    const rpm = (t: number, value: number) => ({ pid: 12, part: 0, t, value, unit: 'rpm' });
    store.getState().watch(1, new Map());
    store.getState().applyBatch(
      batchOf(
        updates(11, [
          { id: 1, rev: 2, readings: [rpm(300, 900)] },
          { id: 2, rev: 2, readings: [rpm(300, 1)] },
        ]),
      ),
      0,
    );
    store.getState().watch(
      1,
      new Map([
        [
          readingKey(12, 0),
          [
            { t: 100, value: 700 },
            { t: 200, value: 800 },
          ],
        ],
      ]),
    );
    expect(
      store
        .getState()
        .series.get(1)
        ?.get(readingKey(12, 0))
        ?.map((p) => p.value),
    ).toEqual([700, 800, 900]);
    expect(store.getState().series.has(2)).toBe(false);
    store.getState().unwatch(1);
    expect(store.getState().series.has(1)).toBe(false);
  });

  it('shows a stored picture until the live feed arrives, never over it', () => {
    const store = createFleetStore();
    store.getState().loadStored({ fleets, vehicles: [vehicleSnapshot({ id: 1 })], receivedAt: 77 });
    expect(store.getState().source).toBe('stored');
    expect(store.getState().receivedAt).toBe(77);
    store.getState().applySnapshot(snapshot([vehicleSnapshot({ id: 2 })]), 100);
    store.getState().loadStored({ fleets, vehicles: [vehicleSnapshot({ id: 1 })], receivedAt: 77 });
    expect([...store.getState().vehicles.keys()]).toEqual([2]);
    expect(store.getState().source).toBe('live');
  });
});
