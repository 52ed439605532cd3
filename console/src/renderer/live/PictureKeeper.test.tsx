// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import type { LastPicture } from '../../shared/ipc';
import { webPlatform } from '../platform/platform';
import type { Platform } from '../platform/platform';
import { cursor, vehicleSnapshot } from '../testing/fixtures';
import { render, step, testServices } from '../testing/render';
import { PICTURE_SAVE_MS, PictureKeeper } from './PictureKeeper';

const fleets = [{ id: 1, name: 'City', overspeedLimitKmh: 50 }];
const event = (id: number): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'ignition_on',
  t: id,
  recordedAt: id,
  late: false,
  data: {},
});

/** A desktop platform whose local store is an array (and can be made to fail, as a full disk). */
function desktop(kind: 'desktop' | 'web' = 'desktop') {
  const saved: Omit<LastPicture, 'serverUrl'>[] = [];
  const state = { failNext: false };
  const platform: Platform = {
    ...webPlatform(window),
    kind,
    savePicture(picture) {
      if (state.failNext) {
        state.failNext = false;
        return Promise.reject(new Error('disk full'));
      }
      saved.push(picture);
      return Promise.resolve();
    },
  };
  return { platform, saved, state };
}

const unload = () => step(() => window.dispatchEvent(new Event('beforeunload')));

afterEach(() => {
  vi.useRealTimers();
});

describe('the picture keeper (desktop)', () => {
  it('saves the live picture as the window goes: vehicles without derived state, the newest 500 events', async () => {
    const services = testServices();
    const { platform, saved } = desktop();
    services.platform = platform;
    await render(services, <PictureKeeper />);

    // A picture from the local store is not saved back over itself.
    services.stores.fleet
      .getState()
      .loadStored({ fleets, vehicles: [vehicleSnapshot({ id: 9 })], receivedAt: 5 });
    await unload();
    expect(saved).toEqual([]);

    services.stores.session
      .getState()
      .signedIn(
        { id: 4, email: 'd@x.y', name: 'Dana', role: 'dispatcher', fleetIds: [1] },
        't',
        null,
      );
    const receivedAt = Date.now();
    services.stores.fleet.getState().applySnapshot(
      {
        cursor: cursor(3),
        full: true,
        fleets,
        vehicles: [vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2, online: false })],
        serverTime: receivedAt,
      },
      receivedAt,
    );
    services.stores.events.getState().add(Array.from({ length: 600 }, (_, i) => event(i + 1)));
    await unload();
    expect(saved).toHaveLength(1);
    const [picture] = saved;
    expect(picture?.receivedAt).toBe(receivedAt);
    // Whose it is: the next start shows it to no one else.
    expect(picture?.userId).toBe(4);
    expect(picture?.fleets).toEqual(fleets);
    expect(picture?.vehicles).toEqual([
      vehicleSnapshot({ id: 1 }),
      vehicleSnapshot({ id: 2, online: false }),
    ]);
    expect(picture?.vehicles[0]).not.toHaveProperty('state');
    expect(picture?.events).toHaveLength(500);
    expect(picture?.events[0]?.id).toBe(600);

    // Nothing changed since: nothing written.
    await unload();
    expect(saved).toHaveLength(1);
  });

  it('saves every 30 s while the picture changes, and tries again after a failed save', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const services = testServices();
    const { platform, saved, state } = desktop();
    services.platform = platform;
    await render(services, <PictureKeeper />);
    const snapshot = (rev: number) =>
      services.stores.fleet.getState().applySnapshot(
        {
          cursor: cursor(rev),
          full: true,
          fleets,
          vehicles: [vehicleSnapshot({ id: 1, rev })],
          serverTime: Date.now(),
        },
        Date.now(),
      );
    snapshot(1);
    state.failNext = true;
    await step(() => vi.advanceTimersByTime(PICTURE_SAVE_MS));
    expect(saved).toHaveLength(0);
    // The failed save is retried even though the picture did not change.
    await step(() => vi.advanceTimersByTime(PICTURE_SAVE_MS));
    expect(saved).toHaveLength(1);
    snapshot(2);
    await step(() => vi.advanceTimersByTime(PICTURE_SAVE_MS));
    expect(saved.map((p) => p.vehicles[0]?.rev)).toEqual([1, 2]);
  });

  it('saves nothing in a browser (the page comes from the server)', async () => {
    const services = testServices();
    const { platform, saved } = desktop('web');
    services.platform = platform;
    await render(services, <PictureKeeper />);
    services.stores.fleet.getState().applySnapshot(
      {
        cursor: cursor(1),
        full: true,
        fleets,
        vehicles: [vehicleSnapshot({ id: 1 })],
        serverTime: Date.now(),
      },
      Date.now(),
    );
    await unload();
    expect(saved).toEqual([]);
  });
});
