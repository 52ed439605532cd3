// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/ipc';
import type { Settings, SettingsPatch } from '../../shared/ipc';
import { webPlatform } from '../platform/platform';
import type { Platform } from '../platform/platform';
import { AlarmsDock } from '../panels/AlarmsDock';
import { LivePanel } from '../panels/LivePanel';
import { VehicleList } from '../panels/VehicleList';
import { cursor, fleets, loadFleet, three, vehicleSnapshot } from '../testing/fixtures';
import { json, press, render, step, testServices, text } from '../testing/render';
import { App } from './App';
import { ConnectionBadge, OfflineBanner, StaleBanner } from './ConnectionBadge';
import { useConsole as useConsoleForTest } from './context';
import { LoginScreen } from './LoginScreen';
import { ShortcutsHelp } from './ShortcutsHelp';
import { TopBar } from './TopBar';
import { useShortcuts } from './use-shortcuts';

/** React watches the value setter of the prototype: typing has to go through it, as a browser does. */
function setInputValue(el: HTMLInputElement, value: string): void {
  // The prototype's setter with the element as receiver, not the element's own property.
  Reflect.set(HTMLInputElement.prototype, 'value', value, el);
}
const rows = (c: HTMLElement) => [...c.querySelectorAll<HTMLElement>('[data-vehicle-id]')];

let unmount: (() => Promise<void>) | undefined;
afterEach(async () => {
  await unmount?.();
  unmount = undefined;
  localStorage.clear();
  sessionStorage.clear();
});

/** The desktop platform as the renderer sees it, with settings in memory (the main process faked). */
function desktopPlatform(serverUrl: string): Platform & { updates: SettingsPatch[] } {
  let settings: Settings = { ...DEFAULT_SETTINGS, serverUrl };
  const updates: SettingsPatch[] = [];
  return {
    ...webPlatform(window),
    kind: 'desktop',
    updates,
    serverUrl: () => settings.serverUrl.replace(/\/+$/, ''),
    settings: () => Promise.resolve(settings),
    updateSettings(patch) {
      updates.push(patch);
      settings = { ...settings, ...patch };
      return Promise.resolve(settings);
    },
  };
}

describe('vehicle list', () => {
  it('lists vehicles by name with state and driver, filters, and selects on click', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <VehicleList />);
    unmount = view.unmount;
    expect(rows(view.container).map((r) => r.dataset.vehicleId)).toEqual(['3', '1', '2']);
    expect(text(rows(view.container)[1])).toContain('Jörg Müller');
    expect(rows(view.container)[2]?.dataset.state).toBe('offline');
    expect(text(view.container.querySelector('.list-header'))).toBe('3 vehicles');

    await step(() => services.stores.ui.getState().setText('muller'));
    expect(rows(view.container).map((r) => r.dataset.vehicleId)).toEqual(['1']);
    expect(text(view.container.querySelector('.list-header'))).toContain('1 of 3 vehicles');
    await step(() => services.stores.ui.getState().clearFilter());
    await step(() => services.stores.ui.getState().toggleState('offline'));
    expect(rows(view.container).map((r) => r.dataset.vehicleId)).toEqual(['2']);

    await step(() => rows(view.container)[0]?.click());
    expect(services.stores.ui.getState().selectedId).toBe(2);
    expect(rows(view.container)[0]?.getAttribute('aria-selected')).toBe('true');
  });

  it('updates when a vehicle changes state, but not for every position', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <VehicleList />);
    unmount = view.unmount;
    const before = services.stores.fleet.getState().listRevision;
    await step(() =>
      services.stores.fleet.getState().applyBatch(
        {
          vehicles: new Map([[1, { update: { id: 1, rev: 5, overspeed: true }, positions: [] }]]),
          removed: new Set(),
          cursor: cursor(2),
          messages: 1,
        },
        Date.now(),
      ),
    );
    expect(services.stores.fleet.getState().listRevision).toBe(before + 1);
    expect(rows(view.container).find((r) => r.dataset.vehicleId === '1')?.dataset.state).toBe(
      'alarm',
    );
  });
});

describe('vehicle panel', () => {
  it('shows the readings with names and units, trouble codes with descriptions, VIN, driver and health', async () => {
    const services = testServices((url) =>
      url.includes('/readings')
        ? json(200, {
            vehicleId: 1,
            from: 0,
            to: 1,
            downsampled: false,
            bucketMs: 0,
            series: [
              {
                pid: 12,
                part: 0,
                unit: 'rpm',
                points: [
                  { t: Date.now() - 5000, value: 800 },
                  { t: Date.now() - 2000, value: 900 },
                ],
              },
            ],
          })
        : json(404, {}),
    );
    const vehicle = vehicleSnapshot({
      id: 1,
      vin: 'WVWZZZ1JZ3W386752',
      driver: { id: 5, name: 'Ana Souza' },
      lastSeenAt: Date.now() - 30_000,
      status: {
        t: Date.now(),
        batteryV: 11.2,
        ignition: false,
        gpsFix: 'dgps',
        obdLink: 'unreachable',
        gpsReceiver: 'fix',
        backlog: 4321,
      },
      position: {
        t: Date.now(),
        lat: 52.52,
        lon: 13.405,
        speedKmh: 0,
        headingDeg: null,
        altitudeM: null,
        hdop: 1.1,
        satellites: 7,
        fixQuality: 'gps',
      },
      readings: [
        { pid: 0x05, part: 0, t: Date.now(), value: 88, unit: '°C' },
        { pid: 0x0c, part: 0, t: Date.now(), value: 1234.5, unit: 'rpm' },
        { pid: 0xa6, part: 0, t: Date.now(), value: 42, unit: 'km' },
      ],
      dtcs: [
        { kind: 'stored', t: Date.now(), codes: ['P0301', 'P1234'] },
        { kind: 'pending', t: Date.now(), codes: [] },
      ],
    });
    loadFleet(services, [vehicle]);
    const record = services.stores.fleet.getState().vehicles.get(1);
    if (!record) throw new Error('no record');
    const view = await render(services, <LivePanel vehicle={record} />);
    unmount = view.unmount;
    await step(() => undefined);
    const readings = [...view.container.querySelectorAll('[data-testid="readings"] tr')].map(text);
    expect(readings[0]).toMatch(/^Engine speed\s*1,23\d rpm/);
    expect(readings[1]).toMatch(/^Engine coolant temperature\s*88(\.0)? °C/);
    expect(readings[2]).toMatch(/^PID 0xA6\s*42\.0 km/);
    expect(text(view.container.querySelector('[data-testid="dtcs-stored"]'))).toContain(
      'P0301 Cylinder 1 misfire detected',
    );
    expect(text(view.container.querySelector('[data-testid="dtcs-stored"]'))).toContain(
      'P1234 Manufacturer-specific code',
    );
    expect(text(view.container.querySelector('[data-testid="vin"]'))).toBe('WVWZZZ1JZ3W386752');
    expect(view.container.querySelector('[data-testid="chart-error"]')).toBeNull();
    expect(text(view.container.querySelector('[data-testid="driver"]'))).toBe('Ana Souza');
    const cell = (id: string) => text(view.container.querySelector(`[data-testid="${id}"]`));
    // GPS health: the receiver's own fix quality wins over the position's.
    expect(cell('fix-quality')).toBe('dgps');
    expect(cell('satellites')).toBe('7');
    expect(cell('hdop')).toBe('1.1');
    expect(cell('last-fix')).toMatch(/\(just now\)$/);
    // Device health: ignition, a low battery flagged, and when the device was last heard.
    expect(cell('ignition')).toBe('off');
    expect(cell('battery')).toBe('11.2 V');
    expect(view.container.querySelector('[data-testid="battery"]')?.classList).toContain('warn');
    expect(cell('last-seen')).toMatch(/\(30 s ago\)$/);
    // What the companion says about its own devices and outbox.
    const classes = (id: string) =>
      view.container.querySelector(`[data-testid="${id}"]`)?.classList.contains('warn');
    expect(cell('obd-link')).toBe('adapter not reachable (unplugged or failing)');
    expect(classes('obd-link')).toBe(true);
    expect(cell('gps-receiver')).toBe('has a fix');
    expect(classes('gps-receiver')).toBe(false);
    expect(cell('backlog')).toMatch(/^4,?321 samples$/);
    expect(classes('backlog')).toBe(true);
    expect(services.requests.some((u) => u.startsWith('/api/vehicles/1/readings?'))).toBe(true);
    // The chart of engine speed got the history loaded for it.
    expect(view.container.querySelector('tr[data-pid="12"] svg')?.getAttribute('aria-label')).toBe(
      'Engine speed: 2 values',
    );
  });
});

describe('a silent or offline vehicle', () => {
  /** Van 01 at 47 km/h with ignition on and a fix, last heard from `ago` ms before now. */
  const heardFrom = (ago: number, online = true) => {
    const t = Date.now() - ago;
    return vehicleSnapshot({
      id: 1,
      name: 'Van 01',
      online,
      lastSeenAt: t,
      position: {
        t,
        lat: 52.52,
        lon: 13.405,
        speedKmh: 47,
        headingDeg: 90,
        altitudeM: null,
        hdop: 0.9,
        satellites: 9,
        fixQuality: 'gps',
      },
      status: { t, batteryV: 14.1, ignition: true, gpsFix: 'gps', gpsReceiver: 'fix' },
    });
  };
  const panel = async (snapshot: ReturnType<typeof vehicleSnapshot>) => {
    const services = testServices();
    loadFleet(services, [snapshot]);
    const record = services.stores.fleet.getState().vehicles.get(1);
    if (!record) throw new Error('no record');
    const view = await render(services, <LivePanel vehicle={record} />);
    unmount = view.unmount;
    const cell = (id: string) => text(view.container.querySelector(`[data-testid="${id}"]`));
    return { view, cell };
  };

  it('shows a reporting vehicle as live, with the age of its speed', async () => {
    const { view, cell } = await panel(heardFrom(1000));
    expect(view.container.querySelector('[data-testid="last-known"]')).toBeNull();
    expect(cell('speed')).toBe('47 km/h · just now');
    expect(cell('ignition')).toBe('on');
    expect(cell('gps-receiver')).toBe('has a fix');
  });

  it('marks the values of a vehicle silent for a while as last known, with their age', async () => {
    const { view, cell } = await panel(heardFrom(47_000));
    expect(text(view.container.querySelector('[data-testid="last-known"]'))).toMatch(
      /^Silent: last report 47 s ago \(.+\)\. The values below are the last known, not live\.$/,
    );
    expect(cell('speed')).toBe('47 km/h · 47 s ago (last known)');
    expect(cell('ignition')).toBe('on (last known)');
    expect(cell('gps-receiver')).toBe('has a fix (last known)');
    expect(text(view.container.querySelector('#device-heading'))).toBe('Device silent');
  });

  it('marks the values of an offline vehicle as last known', async () => {
    const { view, cell } = await panel(heardFrom(3000, false));
    expect(text(view.container.querySelector('[data-testid="last-known"]'))).toMatch(
      /^Offline: last report just now/,
    );
    expect(cell('ignition')).toBe('on (last known)');
    expect(cell('speed')).toBe('47 km/h · just now (last known)');
  });

  it("says in the vehicle list that a silent vehicle's speed is the last known, and how old", async () => {
    const services = testServices();
    loadFleet(services, [heardFrom(47_000)]);
    const view = await render(services, <VehicleList />);
    unmount = view.unmount;
    expect(text(rows(view.container)[0])).toContain('last known 47 km/h · 47 s ago');
  });
});

describe('vehicle panel charts', () => {
  it("says when the charts' history could not be loaded, and still shows the live values", async () => {
    const services = testServices(() =>
      json(503, { type: '/problems/unavailable', title: 'A dependency is down', status: 503 }),
    );
    loadFleet(services, [
      vehicleSnapshot({
        id: 1,
        readings: [{ pid: 0x0c, part: 0, t: Date.now(), value: 900, unit: 'rpm' }],
      }),
    ]);
    const record = services.stores.fleet.getState().vehicles.get(1);
    if (!record) throw new Error('no record');
    const view = await render(services, <LivePanel vehicle={record} />);
    unmount = view.unmount;
    await step(() => undefined);
    expect(text(view.container.querySelector('[data-testid="chart-error"]'))).toMatch(
      /^The charts' last 15 minutes could not be loaded \(.+\); they show live values only\.$/,
    );
    expect(text(view.container.querySelector('tr[data-pid="12"] .number'))).toBe('900');
  });

  it('loads the charts again when the connection comes back, and the error goes', async () => {
    let reachable = false;
    const services = testServices((url) =>
      reachable
        ? json(200, { vehicleId: 1, from: 0, to: 1, downsampled: false, bucketMs: 0, series: [] })
        : Promise.reject(new TypeError(`Failed to fetch ${url}`)),
    );
    loadFleet(services, [
      vehicleSnapshot({
        id: 1,
        readings: [{ pid: 0x0c, part: 0, t: Date.now(), value: 900, unit: 'rpm' }],
      }),
    ]);
    await step(() => services.stores.connection.getState().set('reconnecting', Date.now()));
    const record = services.stores.fleet.getState().vehicles.get(1);
    if (!record) throw new Error('no record');
    const view = await render(services, <LivePanel vehicle={record} />);
    unmount = view.unmount;
    await step(() => undefined);
    expect(text(view.container.querySelector('[data-testid="chart-error"]'))).toContain(
      'cannot be reached',
    );
    expect(services.requests).toHaveLength(1);

    reachable = true;
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    await step(() => undefined);
    expect(services.requests).toHaveLength(2);
    expect(view.container.querySelector('[data-testid="chart-error"]')).toBeNull();
  });
});

describe('connection state', () => {
  it('says live, or how old the picture is while reconnecting, and confirms the resync', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(
      services,
      <>
        <ConnectionBadge />
        <StaleBanner />
      </>,
    );
    unmount = view.unmount;
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    expect(text(view.container.querySelector('[data-testid="connection"]'))).toBe('Live');
    expect(view.container.querySelector('[data-testid="stale-banner"]')).toBeNull();

    await step(() =>
      services.stores.connection.getState().set('reconnecting', Date.now(), {
        attempt: 3,
        error: 'the connection to the server was lost',
      }),
    );
    expect(
      view.container.querySelector('[data-testid="connection"]')?.getAttribute('data-status'),
    ).toBe('reconnecting');
    expect(text(view.container.querySelector('[data-testid="stale-banner"]'))).toMatch(
      /^Not live\. Showing the last known positions, from /,
    );
    expect(
      view.container.querySelector('[data-testid="connection"]')?.getAttribute('title'),
    ).toContain('attempt 3');

    await step(() => {
      services.stores.connection.getState().set('live', Date.now());
      services.stores.connection.getState().resynced(Date.now(), false, 2);
    });
    expect(view.container.querySelector('[data-testid="stale-banner"]')).toBeNull();
    expect(text(view.container.querySelector('[data-testid="resync-banner"]'))).toContain(
      '2 vehicles caught up',
    );

    await step(() =>
      services.stores.connection
        .getState()
        .rejected('vehicles message refused: updates.0.id: expected number'),
    );
    expect(
      view.container.querySelector('[data-testid="connection"]')?.getAttribute('title'),
    ).toContain('1 malformed messages refused');
  });

  it('announces changes of state politely, never the age that changes every second', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(
      services,
      <>
        <ConnectionBadge />
        <StaleBanner />
      </>,
    );
    unmount = view.unmount;
    /** What screen readers are told as it changes: the text of every live region. */
    const announced = () =>
      [...view.container.querySelectorAll('[role="alert"], [role="status"], [aria-live]')]
        .map(text)
        .join(' | ');
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    expect(announced()).toBe('Live.');
    await step(() => services.stores.connection.getState().set('reconnecting', Date.now()));
    expect(view.container.querySelector('[data-testid="stale-banner"]')).not.toBeNull();
    expect(view.container.querySelector('[role="alert"]')).toBeNull();
    expect(announced()).toMatch(/^Not live: the connection to the server was lost\./);
    expect(announced()).not.toMatch(/ago|just now|\d{2}:\d{2}/);
  });

  it('labels a picture from the local store as such', async () => {
    const services = testServices();
    services.stores.fleet
      .getState()
      .loadStored({ fleets, vehicles: three(), receivedAt: Date.now() - 3 * 3600_000 });
    const view = await render(services, <StaleBanner />);
    unmount = view.unmount;
    expect(text(view.container)).toMatch(/saved on this computer.*3 h ago/);
  });
});

describe('the stored picture without a login (server unreachable)', () => {
  const unreachable = () => Promise.reject(new TypeError('Failed to fetch'));

  it('shows the stored vehicles read-only, with no feed, and a way to sign in and back', async () => {
    const services = testServices(unreachable);
    services.stores.fleet
      .getState()
      .loadStored({ fleets, vehicles: three(), receivedAt: Date.now() - 2 * 3600_000 });
    services.stores.session.getState().offline();
    const view = await render(services, <App services={services} />);
    unmount = view.unmount;
    await step(() => undefined);
    const banner = view.container.querySelector('[data-testid="offline-banner"]');
    expect(text(banner)).toMatch(
      /^Not live\. Not signed in\. Showing the picture saved on this computer, from .*\(2 h ago\)\. The server cannot be reached/,
    );
    expect(rows(view.container).map((r) => r.dataset.vehicleId)).toEqual(['3', '1', '2']);
    // Nobody to connect as: no feed (it would report 'connecting' at once).
    expect(services.stores.connection.getState().status).toBe('idle');
    expect(view.container.querySelector('.user-menu')).toBeNull();

    // The layout is saved from the shell too (the tab chosen by shortcut).
    await press('e');
    await step(() => new Promise((r) => setTimeout(r, 450)));
    expect(
      JSON.parse(localStorage.getItem('fleetline.console.settings') ?? '{}') as unknown,
    ).toMatchObject({ layout: { panelTab: 'events' } });

    const signIn = [...view.container.querySelectorAll('button')].find(
      (b) => text(b) === 'Sign in',
    );
    await step(() => signIn?.click());
    expect(view.container.querySelector('form.login-card')).not.toBeNull();
    const back = [...view.container.querySelectorAll('button')].find(
      (b) => text(b) === 'Back to the picture saved on this computer',
    );
    await step(() => back?.click());
    expect(view.container.querySelector('[data-testid="offline-banner"]')).not.toBeNull();
  });

  it('says when the server can be reached again', async () => {
    let up = false;
    const services = testServices(() =>
      up ? json(200, { map: { mapboxToken: null, styleUrl: null }, version: '1' }) : unreachable(),
    );
    services.stores.fleet
      .getState()
      .loadStored({ fleets, vehicles: three(), receivedAt: Date.now() - 60_000 });
    let signIns = 0;
    const view = await render(services, <OfflineBanner onSignIn={() => signIns++} probeMs={20} />);
    unmount = view.unmount;
    const banner = () => view.container.querySelector('[data-testid="offline-banner"]');
    await step(() => new Promise((r) => setTimeout(r, 60)));
    expect(banner()?.getAttribute('data-server')).toBe('unreachable');
    up = true;
    await step(() => new Promise((r) => setTimeout(r, 60)));
    expect(banner()?.getAttribute('data-server')).toBe('reachable');
    expect(text(banner())).toContain('The server can be reached again: sign in');
    await step(() => banner()?.querySelector('button')?.click());
    expect(signIns).toBe(1);
  });
});

describe('sign-in', () => {
  it('explains a wrong password, then signs in', async () => {
    let attempt = 0;
    const services = testServices((url, init) => {
      expect(url).toBe('/api/auth/login');
      expect(JSON.parse(typeof init.body === 'string' ? init.body : '{}')).toMatchObject({
        email: 'dana@example.test',
      });
      return ++attempt === 1
        ? json(401, {
            type: '/problems/invalid-credentials',
            title: 'Email or password is wrong',
            status: 401,
          })
        : json(200, {
            token: 'fls_x',
            expiresAt: Date.now() + 3600_000,
            user: {
              id: 1,
              email: 'dana@example.test',
              name: 'Dana',
              role: 'dispatcher',
              fleetIds: [1],
            },
          });
    });
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    unmount = view.unmount;
    const input = (label: string) =>
      view.container.querySelector<HTMLInputElement>(`input[autocomplete="${label}"]`)!;
    const type = (el: HTMLInputElement, value: string) => {
      setInputValue(el, value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    };
    await step(() => {
      type(input('username'), 'dana@example.test');
      type(input('current-password'), 'nope');
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(text(view.container.querySelector('[role="alert"]'))).toBe(
      'The e-mail or the password is wrong.',
    );
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(services.stores.session.getState()).toMatchObject({
      status: 'signed-in',
      token: 'fls_x',
    });
    // In a browser the login is the server's cookie: a reload asks who it belongs to until it expires.
    const until = Number(localStorage.getItem('fleetline.console.cookie-login-until'));
    expect(until).toBe(services.stores.session.getState().expiresAt);
  });

  it('on the desktop, switches server without calling it from this page, and keeps the e-mail for the reload', async () => {
    const services = testServices(() => json(500, {}));
    const platform = desktopPlatform('http://127.0.0.1:8080');
    services.platform = platform;
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    unmount = view.unmount;
    const field = (selector: string) => view.container.querySelector<HTMLInputElement>(selector)!;
    await step(() => {
      for (const [selector, value] of [
        ['input[type="url"]', 'https://fleet.example:8443/'],
        ['input[autocomplete="username"]', 'dana@example.test'],
        ['input[autocomplete="current-password"]', 'secret password'],
      ] as const) {
        setInputValue(field(selector), value);
        field(selector).dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(platform.updates).toEqual([{ serverUrl: 'https://fleet.example:8443' }]);
    // The page's CSP allows the old server only: the login waits for the new page.
    expect(services.requests).toEqual([]);
    expect(text(view.container.querySelector('[data-testid="switching-server"]'))).toBe(
      'Connecting to https://fleet.example:8443…',
    );
    expect(view.container.querySelector('button[type="submit"]')?.hasAttribute('disabled')).toBe(
      true,
    );
    const kept = sessionStorage.getItem('fleetline.console.login-draft') ?? '';
    expect(JSON.parse(kept)).toEqual({
      serverUrl: 'https://fleet.example:8443',
      email: 'dana@example.test',
    });
    expect(kept).not.toContain('secret password');
  });

  it('on the desktop, signs in at once when the server is the same one written differently', async () => {
    const services = testServices(() =>
      json(200, {
        token: 'fls_same',
        expiresAt: Date.now() + 3600_000,
        user: { id: 1, email: 'd@x.y', name: 'Dana', role: 'dispatcher', fleetIds: [1] },
      }),
    );
    const platform = desktopPlatform('http://127.0.0.1:8080');
    services.platform = platform;
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    unmount = view.unmount;
    await step(() => {
      for (const [selector, value] of [
        ['input[type="url"]', 'http://127.0.0.1:8080/'],
        ['input[autocomplete="username"]', 'd@x.y'],
        ['input[autocomplete="current-password"]', 'pw'],
      ] as const) {
        const el = view.container.querySelector<HTMLInputElement>(selector)!;
        setInputValue(el, value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(services.requests).toEqual(['/api/auth/login']);
    expect(services.stores.session.getState().status).toBe('signed-in');
    expect(sessionStorage.getItem('fleetline.console.login-draft')).toBeNull();
  });

  it('fills in the e-mail kept across a server switch and asks for the password', async () => {
    const services = testServices();
    services.stores.session
      .getState()
      .signedOut('Now using https://fleet.example. Enter your password to sign in.', 'd@x.y');
    const view = await render(services, <LoginScreen />);
    unmount = view.unmount;
    expect(
      view.container.querySelector<HTMLInputElement>('input[autocomplete="username"]')?.value,
    ).toBe('d@x.y');
    expect(document.activeElement?.getAttribute('autocomplete')).toBe('current-password');
    expect(text(view.container.querySelector('.notice'))).toContain('Enter your password');
  });

  it('refuses a role without console access', async () => {
    const services = testServices(() =>
      json(200, {
        token: 'fls_x',
        expiresAt: Date.now() + 1000,
        user: { id: 2, email: 'd@x.y', name: 'Driver', role: 'driver', fleetIds: [] },
      }),
    );
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    unmount = view.unmount;
    await step(() => {
      for (const [selector, value] of [
        ['username', 'd@x.y'],
        ['current-password', 'pw'],
      ] as const) {
        const el = view.container.querySelector<HTMLInputElement>(
          `input[autocomplete="${selector}"]`,
        )!;
        setInputValue(el, value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(text(view.container.querySelector('[role="alert"]'))).toBe(
      'This account may not use the dispatch console.',
    );
    expect(services.stores.session.getState().status).toBe('signed-out');
  });
});

function ShortcutHost() {
  const { stores } = useConsoleForTest();
  useShortcuts(stores);
  return null;
}

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
    unmount = view.unmount;
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
    unmount = view.unmount;
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
    unmount = view.unmount;
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

describe('the shortcuts dialog', () => {
  it('takes the focus, keeps Tab inside, and gives the focus back when it closes', async () => {
    const services = testServices();
    const view = await render(
      services,
      <>
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <ShortcutsHelp />
      </>,
    );
    unmount = view.unmount;
    const opener = view.container.querySelector<HTMLButtonElement>(
      'button[aria-label="Keyboard shortcuts"]',
    );
    opener?.focus();
    await step(() => opener?.click());
    const dialog = view.container.querySelector('[role="dialog"]');
    expect(dialog?.contains(document.activeElement)).toBe(true);

    // Tab and Shift+Tab from its last (and only) control stay in the dialog.
    for (const shiftKey of [false, true]) {
      const tab = new KeyboardEvent('keydown', {
        key: 'Tab',
        shiftKey,
        bubbles: true,
        cancelable: true,
      });
      await step(() => document.activeElement?.dispatchEvent(tab));
      expect(tab.defaultPrevented).toBe(true);
      expect(dialog?.contains(document.activeElement)).toBe(true);
    }

    await step(() => services.stores.ui.getState().setShortcutsOpen(false));
    expect(document.activeElement).toBe(opener);
  });
});

describe('keyboard shortcuts', () => {
  it('search, next and previous vehicle, follow, filters, tabs and help', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(
      services,
      <>
        <ShortcutHost />
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <VehicleList />
        <ShortcutsHelp />
      </>,
    );
    unmount = view.unmount;
    const ui = services.stores.ui;
    await press('/');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Search vehicles');
    // Typing in the search box is typing: j is a letter there.
    await press('j', document.activeElement ?? window);
    expect(ui.getState().selectedId).toBeNull();
    await press('Escape', document.activeElement ?? window);
    expect(document.activeElement?.getAttribute('aria-label')).not.toBe('Search vehicles');

    await press('j');
    expect(ui.getState().selectedId).toBe(3);
    await press('j');
    expect(ui.getState().selectedId).toBe(1);
    await press('k');
    expect(ui.getState().selectedId).toBe(3);
    await press('f');
    expect(ui.getState().follow).toBe(true);
    await press('h');
    expect(ui.getState().panelTab).toBe('history');
    await press('3');
    expect([...ui.getState().filter.states]).toEqual(['offline']);
    await press('0');
    expect(ui.getState().filter.states.size).toBe(0);
    await press('Escape');
    expect(ui.getState().selectedId).toBeNull();
    expect(ui.getState().follow).toBe(false);

    await press('?', window, { shiftKey: true });
    const help = text(view.container.querySelector('[role="dialog"]'));
    expect(help).toContain('Keyboard shortcuts');
    expect(help).toContain('Follow the selected vehicle on the map');
    await press('Escape');
    expect(view.container.querySelector('[role="dialog"]')).toBeNull();
  });
});

describe('alarms', () => {
  it('lists open alarms until acknowledged', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    unmount = view.unmount;
    expect(view.container.querySelector('[data-testid="alarms"]')).toBeNull();
    await step(() =>
      services.stores.events.getState().add([
        {
          id: 1,
          vehicleId: 1,
          type: 'dtc_new',
          t: Date.now(),
          recordedAt: Date.now(),
          late: false,
          data: { code: 'P0301', dtcKind: 'stored' },
        },
      ]),
    );
    expect(text(view.container.querySelector('[data-testid="alarms"]'))).toContain(
      'Van 01 Trouble code P0301 Cylinder 1 misfire detected',
    );
    await step(() =>
      view.container.querySelector<HTMLButtonElement>('button[aria-label="Acknowledge"]')?.click(),
    );
    expect(view.container.querySelector('[data-testid="alarms"]')).toBeNull();
  });

  it('lists serious alarms first and expands to show every open alarm', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    unmount = view.unmount;
    const now = Date.now();
    const speeding = Array.from({ length: 9 }, (_, i) => ({
      id: i + 1,
      vehicleId: 2,
      type: 'overspeed' as const,
      t: now,
      recordedAt: now,
      late: false,
      data: { speedKmh: 80, limitKmh: 50, lat: 52.5, lon: 13.4 },
    }));
    // The offline alarm is the oldest: newest-first alone would hide it under the overspeeds.
    await step(() =>
      services.stores.events.getState().add([
        {
          id: 0,
          vehicleId: 3,
          type: 'device_offline',
          t: now,
          recordedAt: now,
          late: false,
          data: { lastSeenAt: now - 60_000 },
        },
        ...speeding,
      ]),
    );
    const items = () => [...view.container.querySelectorAll('[data-testid="alarms"] li.alarm')];
    expect(items()).toHaveLength(6);
    expect(text(items()[0])).toContain('Offline');
    const toggle = [...view.container.querySelectorAll('button')].find((b) =>
      text(b).startsWith('Show all'),
    );
    expect(text(toggle)).toBe('Show all 10 (4 more)');
    expect(toggle?.getAttribute('aria-expanded')).toBe('false');
    await step(() => toggle?.click());
    expect(items()).toHaveLength(10);
    expect(toggle?.getAttribute('aria-expanded')).toBe('true');
    expect(text(toggle)).toBe('Show fewer');
  });
});
