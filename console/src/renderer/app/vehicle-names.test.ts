import { describe, expect, it } from 'vitest';
import { cursor, fleets, vehicleSnapshot } from '../testing/fixtures';
import { createConsoleStores } from './context';
import { vehicleNamer } from './vehicle-names';

describe('vehicle namer', () => {
  const user = { id: 1, email: 'd@x.y', name: 'Dana', role: 'dispatcher' as const, fleetIds: [1] };
  const hold = (stores: ReturnType<typeof createConsoleStores>, ids: number[]) =>
    stores.fleet.getState().applySnapshot(
      {
        cursor: cursor(1),
        full: true,
        fleets,
        vehicles: ids.map((id) => vehicleSnapshot({ id })),
        serverTime: 0,
      },
      0,
    );

  it('names a vehicle as held now, else as last held this session, else as unknown', () => {
    const stores = createConsoleStores();
    stores.session.getState().signedIn(user, 'token', null);
    hold(stores, [1, 2]);
    // The fleet picker narrowed the view to vehicle 1.
    hold(stores, [1]);
    const name = vehicleNamer(stores);
    expect(name(1)).toEqual({ name: 'Van 1', plate: 'B-FL 1' });
    expect(name(2)).toEqual({ name: 'Van 2', plate: 'B-FL 2' });
    expect(name(9)).toEqual({ name: 'Unknown vehicle (id 9)', plate: null });
  });

  it('keeps the names for the same user after the session ended, forgets them for another', () => {
    const stores = createConsoleStores();
    stores.session.getState().signedIn(user, 'token', null);
    hold(stores, [1, 2]);
    hold(stores, [1]);
    // The server ended the session: the same user signing in again keeps them.
    stores.session.getState().signedOut('Your session has ended. Please sign in again.');
    stores.session.getState().signedIn(user, 'token 2', null);
    expect(vehicleNamer(stores)(2)).toEqual({ name: 'Van 2', plate: 'B-FL 2' });
    // Another user may not be allowed to see those vehicles.
    stores.session.getState().signedOut('Your session has ended. Please sign in again.');
    stores.session.getState().signedIn({ ...user, id: 2, email: 'e@x.y' }, 'token 3', null);
    expect(vehicleNamer(stores)(1)).toEqual({ name: 'Unknown vehicle (id 1)', plate: null });
    expect(vehicleNamer(stores)(2)).toEqual({ name: 'Unknown vehicle (id 2)', plate: null });
  });
});
