// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
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
});
