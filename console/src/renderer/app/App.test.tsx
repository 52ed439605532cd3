// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { fleets, three } from '../testing/fixtures';
import { press, render, step, testServices, text } from '../testing/render';
import { App } from './App';

const rows = (c: HTMLElement) => [...c.querySelectorAll<HTMLElement>('[data-vehicle-id]')];

describe('the stored picture without a login (server unreachable)', () => {
  const unreachable = () => Promise.reject(new TypeError('Failed to fetch'));

  it('shows the stored vehicles read-only, with no feed, and a way to sign in and back', async () => {
    const services = testServices(unreachable);
    services.stores.fleet
      .getState()
      .loadStored({ fleets, vehicles: three(), receivedAt: Date.now() - 2 * 3600_000 });
    services.stores.session.getState().offline();
    const view = await render(services, <App services={services} />);
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
});
