// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import { cursor, loadFleet, three } from '../testing/fixtures';
import { render, step, testServices, text } from '../testing/render';
import { VehicleList } from './VehicleList';

const rows = (c: HTMLElement) => [...c.querySelectorAll<HTMLElement>('[data-vehicle-id]')];

describe('vehicle list', () => {
  it('lists vehicles by name with state and driver, filters, and selects on click', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <VehicleList />);
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

  it('marks the vehicles with an open alarm, with the chip on or off, until it is acknowledged', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <VehicleList />);
    const now = Date.now();
    const alarm = (id: number, vehicleId: number, type: 'overspeed' | 'device_offline') =>
      ({
        id,
        vehicleId,
        type,
        t: now,
        recordedAt: now,
        late: false,
        data:
          type === 'overspeed'
            ? { speedKmh: 70, limitKmh: 50, lat: 52.5, lon: 13.4 }
            : { lastSeenAt: now - 60_000 },
      }) as FleetEvent;
    const marker = (id: number) =>
      view.container.querySelector(`[data-vehicle-id="${id}"] [data-testid="open-alarm-badge"]`);
    expect(view.container.querySelector('[data-testid="open-alarm-badge"]')).toBeNull();

    // Van 02: two overspeeds, then offline (the most serious); Truck 1: one overspeed.
    await step(() =>
      services.stores.events
        .getState()
        .add([
          alarm(1, 2, 'overspeed'),
          alarm(2, 3, 'overspeed'),
          alarm(3, 2, 'overspeed'),
          alarm(4, 2, 'device_offline'),
        ]),
    );
    expect(marker(1)).toBeNull();
    expect(marker(2)?.getAttribute('role')).toBe('img');
    expect(marker(2)?.getAttribute('aria-label')).toBe('3 open alarms: Offline and 2 more');
    expect(marker(2)?.getAttribute('title')).toBe('3 open alarms: Offline and 2 more');
    expect(text(marker(2))).toBe('⚠ Offline +2');
    expect(marker(3)?.getAttribute('aria-label')).toBe('Open alarm: Overspeed');
    expect(text(marker(3))).toBe('⚠ Overspeed');

    // With the chip on, every row listed says why it is there.
    await step(() => services.stores.ui.getState().toggleState('open-alarm'));
    expect(rows(view.container).map((r) => r.dataset.vehicleId)).toEqual(['3', '2']);
    expect(
      rows(view.container).every((r) => r.querySelector('[data-testid="open-alarm-badge"]')),
    ).toBe(true);

    // Acknowledged, the marker goes; the chip off, it stays off for vehicles without one.
    await step(() => services.stores.events.getState().acknowledge(4));
    expect(marker(2)?.getAttribute('aria-label')).toBe('2 open alarms: Overspeed and 1 more');
    await step(() => services.stores.events.getState().acknowledge(2));
    await step(() => services.stores.ui.getState().toggleState('open-alarm'));
    expect(marker(3)).toBeNull();
    expect(marker(1)).toBeNull();
    expect(marker(2)).not.toBeNull();
  });
});
