import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import { cursor, fleets, vehicleSnapshot } from '../testing/fixtures';
import { createConsoleStores } from './context';

const dana = { id: 1, email: 'dana@x.y', name: 'Dana', role: 'dispatcher' as const, fleetIds: [1] };
const eli = { id: 2, email: 'eli@x.y', name: 'Eli', role: 'dispatcher' as const, fleetIds: [2] };
const offline = (id: number): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'device_offline',
  t: id,
  recordedAt: id,
  late: false,
  data: { lastSeenAt: 0 },
});

/** Dana watching vehicles 1 and 2, with an SOS-grade alarm not yet acknowledged, then her session ends. */
function danaSessionEnded() {
  const stores = createConsoleStores();
  stores.session.getState().signedIn(dana, 'token', null);
  stores.fleet.getState().applySnapshot(
    {
      cursor: cursor(1),
      full: true,
      fleets,
      vehicles: [vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2 })],
      serverTime: 0,
    },
    0,
  );
  stores.events.getState().add([offline(5)]);
  stores.ui.getState().select(1);
  stores.ui.getState().setText('Van');
  // As the socket controller does when the server refuses the feed.
  stores.session.getState().signedOut('Your session has ended. Please sign in again.');
  return stores;
}

describe("the stores keep a user's data to that user", () => {
  it('shows another user signing in after a session ended none of the previous one’s data', () => {
    const stores = danaSessionEnded();
    stores.session.getState().signedIn(eli, 'token 2', null);
    const fleet = stores.fleet.getState();
    expect(fleet.vehicles.size).toBe(0);
    expect(fleet.fleets).toEqual([]);
    expect(fleet.vehicleNames.size).toBe(0);
    expect(fleet.cursor).toBeNull();
    const events = stores.events.getState();
    expect(events.events).toEqual([]);
    expect(events.alarms).toEqual([]);
    expect(events.openAlarmVehicleIds.size).toBe(0);
    // The feed must not ask for a replay of Dana's events.
    expect(events.lastEventId).toBeNull();
    expect(stores.ui.getState().selectedId).toBeNull();
    expect(stores.ui.getState().filter.text).toBe('');
  });

  it('keeps the open alarms, vehicles and log for the same user signing in again', () => {
    const stores = danaSessionEnded();
    stores.session.getState().signedIn(dana, 'token 2', null);
    expect(stores.events.getState().alarms).toEqual([{ event: offline(5), acknowledged: false }]);
    expect(stores.events.getState().lastEventId).toBe(5);
    expect([...stores.fleet.getState().vehicles.keys()]).toEqual([1, 2]);
    expect(stores.ui.getState().selectedId).toBe(1);
  });

  it('treats data of no known user as another user’s', () => {
    const stores = createConsoleStores();
    // A picture stored by an older console, which did not say whose it was.
    stores.fleet.getState().loadStored({
      fleets,
      vehicles: [vehicleSnapshot({ id: 1 })],
      receivedAt: 0,
    });
    stores.events.getState().loadStored([offline(5)]);
    stores.session.getState().signedIn(dana, 'token', null);
    expect(stores.fleet.getState().vehicles.size).toBe(0);
    expect(stores.events.getState().events).toEqual([]);
  });

  it('keeps a picture stored for the user who signs in', () => {
    const stores = createConsoleStores();
    stores.fleet.getState().loadStored({
      fleets,
      vehicles: [vehicleSnapshot({ id: 1 })],
      receivedAt: 0,
    });
    stores.session.setState({ dataUserId: dana.id });
    stores.session.getState().signedIn(dana, 'token', null);
    expect(stores.fleet.getState().vehicles.size).toBe(1);
  });
});
