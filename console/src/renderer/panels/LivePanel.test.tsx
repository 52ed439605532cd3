// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { loadFleet, vehicleSnapshot } from '../testing/fixtures';
import { json, render, step, testServices, text } from '../testing/render';
import { LivePanel } from './LivePanel';
import { VehicleList } from './VehicleList';

const rows = (c: HTMLElement) => [...c.querySelectorAll<HTMLElement>('[data-vehicle-id]')];

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
