// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { fleets, loadFleet, three } from '../testing/fixtures';
import { json, render, step, testServices, text } from '../testing/render';
import { ConnectionBadge, OfflineBanner, StaleBanner } from './ConnectionBadge';

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
    expect(text(view.container)).toMatch(/saved on this computer.*3 h ago/);
  });
});

describe('the stored picture without a login (server unreachable)', () => {
  const unreachable = () => Promise.reject(new TypeError('Failed to fetch'));

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
