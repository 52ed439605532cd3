// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { localDay } from '../stores/history-store';
import { loadFleet, three } from '../testing/fixtures';
import { json, render, step, testServices, text } from '../testing/render';
import { HistoryPanel } from './HistoryPanel';

describe('history panel', () => {
  /** A server with no trips or events, whose /api/config says how long it keeps history. */
  const answer = (retention: unknown) => (url: string) => {
    if (url.startsWith('/api/config'))
      return json(200, {
        map: { mapboxToken: null, styleUrl: null },
        version: '1',
        ...(retention === undefined ? {} : { retention }),
      });
    if (url.includes('/trips')) return json(200, { vehicleId: 1, from: 0, to: 1, trips: [] });
    return json(200, { events: [] });
  };
  const server = (retention: unknown) => testServices(answer(retention));

  const open = async (services: ReturnType<typeof testServices>) => {
    loadFleet(services, three());
    const vehicle = services.stores.fleet.getState().vehicles.get(1)!;
    const view = await render(services, <HistoryPanel vehicle={vehicle} />);
    await step(() => undefined);
    return view;
  };

  it('says how long the server keeps history, and offers no day before it', async () => {
    const services = server({ telemetryDays: 7, eventDays: 30 });
    const c = (await open(services)).container;
    expect(text(c.querySelector('[data-testid="retention-note"]'))).toBe(
      'Tracks and readings are kept for 7 days, trips and events for 30 days.',
    );
    const oldest = localDay(Date.now() - 30 * 86_400_000);
    const input = c.querySelector<HTMLInputElement>('input[type="date"]')!;
    expect(input.min).toBe(oldest);
    const previous = c.querySelector<HTMLButtonElement>('button[aria-label="Previous day"]')!;
    expect(previous.disabled).toBe(false);

    await step(() => services.stores.history.getState().setDay(oldest));
    expect(previous.disabled).toBe(true);
  });

  it('sets no limit for a server that keeps everything, or does not say', async () => {
    for (const retention of [{ telemetryDays: null, eventDays: null }, undefined]) {
      const { container: c, unmount } = await open(server(retention));
      expect(c.querySelector('[data-testid="retention-note"]')).toBeNull();
      expect(c.querySelector<HTMLInputElement>('input[type="date"]')!.min).toBe('');
      await unmount();
    }
  });

  it('asks how long history is kept again when the connection comes back after a failed ask', async () => {
    let reachable = false;
    const up = answer({ telemetryDays: 7, eventDays: 7 });
    const services = testServices((url) =>
      reachable ? up(url) : Promise.reject(new TypeError(`Failed to fetch ${url}`)),
    );
    services.stores.connection.getState().set('reconnecting', Date.now());
    const c = (await open(services)).container;
    expect(c.querySelector('[data-testid="retention-note"]')).toBeNull();

    reachable = true;
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    await step(() => undefined);
    expect(text(c.querySelector('[data-testid="retention-note"]'))).toBe(
      'History is kept for 7 days.',
    );
  });

  it('asks how long history is kept again after a reconnect: the server may have restarted with another', async () => {
    let retention = { telemetryDays: 7, eventDays: 30 };
    const services = testServices((url) => answer(retention)(url));
    services.stores.connection.getState().set('live', Date.now());
    const c = (await open(services)).container;
    const note = () => text(c.querySelector('[data-testid="retention-note"]'));
    expect(note()).toBe('Tracks and readings are kept for 7 days, trips and events for 30 days.');

    await step(() => services.stores.connection.getState().set('reconnecting', Date.now()));
    retention = { telemetryDays: 90, eventDays: 90 };
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    await step(() => undefined);
    expect(note()).toBe('History is kept for 90 days.');
    const oldest = localDay(Date.now() - 90 * 86_400_000);
    expect(c.querySelector<HTMLInputElement>('input[type="date"]')!.min).toBe(oldest);
  });

  it('loads the trips again when the connection comes back after a failed load', async () => {
    let reachable = false;
    const up = answer(undefined);
    const services = testServices((url) =>
      reachable ? up(url) : Promise.reject(new TypeError(`Failed to fetch ${url}`)),
    );
    services.stores.connection.getState().set('reconnecting', Date.now());
    const c = (await open(services)).container;
    expect(text(c)).toContain('Trips could not be loaded');

    reachable = true;
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    await step(() => undefined);
    expect(text(c)).not.toContain('could not be loaded');
    expect(text(c)).not.toContain('cannot be reached');
  });
});
