// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cursor, loadFleet, three, vehicleSnapshot } from '../testing/fixtures';
import { ShortcutHost, press, render, step, testServices, text } from '../testing/render';
import { AlarmsDock } from '../panels/AlarmsDock';
import { VehicleList } from '../panels/VehicleList';
import type { FilterChip } from '../stores/vehicle-filter';
import { TopBar } from './TopBar';

describe('alarm notifications in a browser', () => {
  /** The browser's Notification API, with the user's answer to its prompt scripted. */
  function fakeNotificationApi(permission: NotificationPermission, answer: NotificationPermission) {
    const api = {
      permission,
      asked: 0,
      requestPermission() {
        api.asked += 1;
        api.permission = answer;
        return Promise.resolve(answer);
      },
    };
    Object.defineProperty(window, 'Notification', { value: api, configurable: true });
    return api;
  }
  afterEach(() => {
    Reflect.deleteProperty(window, 'Notification');
  });
  const openMenu = async (view: { container: HTMLElement }) => {
    await step(() =>
      view.container.querySelector<HTMLButtonElement>('.user-menu > button')?.click(),
    );
    return () => view.container.querySelector<HTMLButtonElement>('[role="menuitemcheckbox"]');
  };

  it('is not shown as on before the browser allows it, asks when turned on, and says when it is blocked', async () => {
    const browser = fakeNotificationApi('default', 'denied');
    const services = testServices();
    // The setting is on (the default), but the browser has not been asked.
    expect((await services.platform.settings()).notifications).toBe(true);
    const view = await render(
      services,
      <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />,
    );
    const item = await openMenu(view);
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect(text(item())).toBe('☐ Alarm notifications (the browser will ask)');

    // Turned on: the browser asks; the user blocks them.
    await step(() => item()?.click());
    expect(browser.asked).toBe(1);
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect(text(item())).toContain('blocked by the browser');
    expect((await services.platform.settings()).notifications).toBe(false);
  });

  it('is on once the browser allows it, and off again when turned off', async () => {
    const browser = fakeNotificationApi('default', 'granted');
    const services = testServices();
    const view = await render(
      services,
      <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />,
    );
    const item = await openMenu(view);
    await step(() => item()?.click());
    expect(browser.asked).toBe(1);
    expect(item()?.getAttribute('aria-checked')).toBe('true');
    expect(text(item())).toBe('☑ Alarm notifications');
    await step(() => item()?.click());
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect((await services.platform.settings()).notifications).toBe(false);
    expect(browser.asked).toBe(1);
  });
});

describe('the user menu', () => {
  it('closes on Esc (and only the menu) and on a click outside it', async () => {
    const services = testServices();
    loadFleet(services, three());
    services.stores.ui.getState().select(1);
    const view = await render(
      services,
      <>
        <ShortcutHost />
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
      </>,
    );
    const toggle = view.container.querySelector<HTMLButtonElement>('.user-menu > button');
    const menu = () => view.container.querySelector('[role="menu"]');
    await step(() => toggle?.click());
    expect(menu()).not.toBeNull();
    const item = view.container.querySelector<HTMLButtonElement>('[role="menuitem"]');
    item?.focus();
    await press('Escape', item ?? window);
    expect(menu()).toBeNull();
    // Esc closed the menu, not the vehicle as well.
    expect(services.stores.ui.getState().selectedId).toBe(1);
    expect(document.activeElement).toBe(toggle);

    await step(() => toggle?.click());
    // A click inside the menu leaves it open; one outside closes it.
    await step(() => menu()?.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true })));
    expect(menu()).not.toBeNull();
    await step(() =>
      document.body.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true })),
    );
    expect(menu()).toBeNull();
  });
});

describe('the filter chips and the alarm dock', () => {
  it('agree: "Open alarms" counts and shows the vehicles the dock has alarms for, however many alarms', async () => {
    const services = testServices();
    // Van 01 is speeding (the map's red "alarm" state) but its alarm was dealt with;
    // Van 02 is offline and Truck 1 stands: no vehicle is in the alarm state but Van 01.
    loadFleet(services, [{ ...three()[0]!, overspeed: true }, ...three().slice(1)]);
    const view = await render(
      services,
      <>
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <AlarmsDock />
        <VehicleList />
      </>,
    );
    const chip = (name: FilterChip) =>
      view.container.querySelector<HTMLButtonElement>(`[data-chip="${name}"]`);
    const listed = () =>
      [...view.container.querySelectorAll<HTMLElement>('[data-vehicle-id]')].map(
        (r) => r.dataset.vehicleId,
      );

    // A storm: 10,000 overspeeds on Van 02 and Truck 1, raised and over.
    const now = Date.now();
    await step(() =>
      services.stores.events.getState().add(
        Array.from({ length: 10_000 }, (_, i) => ({
          id: i + 1,
          vehicleId: i % 2 === 0 ? 2 : 3,
          type: 'overspeed' as const,
          t: now,
          recordedAt: now,
          late: false,
          data: { speedKmh: 70, limitKmh: 50, lat: 52.5, lon: 13.4 },
        })),
      ),
    );
    expect(text(view.container.querySelector('[data-testid="alarms"] h2'))).toBe(
      'Alarms 10000 on 2 vehicles',
    );
    expect(text(chip('open-alarm'))).toBe('Open alarms 2');
    expect(chip('open-alarm')?.title).toContain('open alarm');
    // The speeding van is among the moving ones; the three chips before count every vehicle.
    expect(text(chip('moving'))).toBe('Moving 1');
    expect(text(chip('idle'))).toBe('Idle 1');
    expect(text(chip('offline'))).toBe('Offline 1');

    await step(() => chip('open-alarm')?.click());
    expect(listed()).toEqual(['3', '2']);

    // Van 02's alarms acknowledged: one vehicle left, in the dock, on the chip and in the list.
    await step(() => {
      const events = services.stores.events.getState();
      for (const a of events.alarms) if (a.event.vehicleId === 2) events.acknowledge(a.event.id);
    });
    expect(text(view.container.querySelector('[data-testid="alarm-vehicles"]'))).toBe(
      'on 1 vehicle',
    );
    expect(text(chip('open-alarm'))).toBe('Open alarms 1');
    expect(listed()).toEqual(['3']);

    await step(() => services.stores.events.getState().acknowledgeAll());
    expect(text(chip('open-alarm'))).toBe('Open alarms 0');
    expect(listed()).toEqual([]);
  });

  it('say how many of the vehicles in the dock are in view once the fleet picker narrowed it', async () => {
    const services = testServices();
    const fleets = [
      { id: 1, name: 'City', overspeedLimitKmh: 50 },
      { id: 2, name: 'Airport', overspeedLimitKmh: 80 },
    ];
    const city = [vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2 })];
    const airport = [vehicleSnapshot({ id: 3, fleetIds: [2] })];
    const snapshot = (vehicles: typeof city, shownFleets = fleets) =>
      services.stores.fleet
        .getState()
        .applySnapshot(
          { cursor: cursor(1), full: true, fleets: shownFleets, vehicles, serverTime: Date.now() },
          Date.now(),
        );
    snapshot([...city, ...airport]);
    const view = await render(
      services,
      <>
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <AlarmsDock />
      </>,
    );
    const chip = () => view.container.querySelector<HTMLButtonElement>('[data-chip="open-alarm"]');
    const dockLine = () => text(view.container.querySelector('[data-testid="alarm-vehicles"]'));
    const now = Date.now();
    await step(() =>
      services.stores.events.getState().add(
        [2, 3, 3].map((vehicleId, i) => ({
          id: i + 1,
          vehicleId,
          type: 'overspeed' as const,
          t: now,
          recordedAt: now,
          late: false,
          data: { speedKmh: 90, limitKmh: 50, lat: 52.5, lon: 13.4 },
        })),
      ),
    );
    // Every vehicle in view: the dock and the chip agree, and say nothing more.
    expect(dockLine()).toBe('on 2 vehicles');
    expect(text(chip())).toBe('Open alarms 2');
    expect(chip()?.title).not.toContain('not in');

    // Narrowed to City: the chip counts Van 2, the dock still lists Van 3's alarms too.
    await step(() => services.stores.ui.getState().setFleetIds([1]));
    await step(() => snapshot(city, fleets.slice(0, 1)));
    expect(text(chip())).toBe('Open alarms 1');
    expect(dockLine()).toBe('on 2 vehicles, 1 in City');
    expect(chip()?.title).toBe(
      "Vehicles with an open alarm in the alarm dock, whatever they do now; the dock's other 1 is not in City (4)",
    );

    // Van 2's alarm acknowledged: none of the dock's vehicles is in City.
    await step(() => services.stores.events.getState().acknowledge(1));
    expect(dockLine()).toBe('on 1 vehicle, none in City');
    expect(text(chip())).toBe('Open alarms 0');

    // All fleets again, but Van 3 no longer visible to this user: "this view".
    await step(() => services.stores.ui.getState().setFleetIds(null));
    await step(() => snapshot(city));
    expect(dockLine()).toBe('on 1 vehicle, none in this view');
    expect(chip()?.title).toContain("the dock's other 1 is not in this view");
  });
});
