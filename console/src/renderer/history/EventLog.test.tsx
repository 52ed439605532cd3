// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { formatTime } from '../panels/format';
import { dayRange, localDay } from '../stores/history-store';
import { loadFleet, three } from '../testing/fixtures';
import { json, render, step, testServices, text } from '../testing/render';
import { EventLog } from './EventLog';

describe('event log', () => {
  /** An ignition of Van 01, one a second: event `id` happens `base + id` seconds. */
  const ignition = (id: number, base: number) => ({
    id,
    vehicleId: 1,
    type: 'ignition_on' as const,
    t: base + id * 1000,
    recordedAt: base + id * 1000,
    late: false,
    data: {},
  });
  /** The server's log: events 1 to `newest()`, newest first, paged by `before`. */
  const pagedLog = (newest: () => number, base: number) => (url: string) => {
    const before = Number(new URL(url, 'http://x').searchParams.get('before') ?? Infinity);
    const events = [];
    for (let id = Math.min(newest(), before - 1); id >= 1; id--) events.push(ignition(id, base));
    return json(200, { events });
  };
  /** Today's fleet event log, opened as the console opens it. */
  const openFleetLog = async (services: ReturnType<typeof testServices>, maxKept?: number) => {
    const view = await render(
      services,
      <EventLog
        scope={{ day: localDay(Date.now()) }}
        title="Fleet events today"
        {...(maxKept === undefined ? {} : { maxKept })}
      />,
    );
    return view;
  };
  /**
   * Where a run of `count` one-a-second events may start so that all of it is
   * today, as the log shows it: about half an hour ago, or at midnight when
   * that was more recent (a base in yesterday would fail these tests after midnight).
   */
  const baseToday = (now: number) => Math.max(now - 2_000_000, dayRange(localDay(now)).from);
  const eventIds = (c: HTMLElement) =>
    [...c.querySelectorAll<HTMLElement>('[data-event-id]')].map((li) => Number(li.dataset.eventId));

  it('loads the day from the server, filters by kind, and adds live events', async () => {
    const now = Date.now();
    const services = testServices((url) =>
      json(200, {
        events: url.includes('type=overspeed')
          ? [
              {
                id: 3,
                vehicleId: 1,
                type: 'overspeed',
                t: now - 1000,
                recordedAt: now,
                late: false,
                data: { speedKmh: 71, limitKmh: 50, lat: 52.5, lon: 13.4 },
              },
            ]
          : [
              {
                id: 3,
                vehicleId: 1,
                type: 'overspeed',
                t: now - 1000,
                recordedAt: now,
                late: false,
                data: { speedKmh: 71, limitKmh: 50, lat: 52.5, lon: 13.4 },
              },
              {
                id: 2,
                vehicleId: 2,
                type: 'ignition_on',
                t: now - 2000,
                recordedAt: now,
                late: true,
                data: {},
              },
            ],
      }),
    );
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => undefined);
    const items = () =>
      [...view.container.querySelectorAll('[data-testid="event-log"] li')].map(text);
    expect(items()).toHaveLength(2);
    expect(items()[0]).toMatch(/Van 01\s*Overspeed\s*71 km\/h where the limit is 50 km\/h/);
    expect(items()[1]).toContain('late');

    const overspeedChip = [...view.container.querySelectorAll('button.chip')].find(
      (b) => b.textContent === 'Overspeed',
    );
    await step(() => (overspeedChip as HTMLButtonElement).click());
    await step(() => undefined);
    expect(services.requests.at(-1)).toMatch(/type=overspeed/);
    expect(items()).toHaveLength(1);

    await step(() =>
      services.stores.events.getState().add([
        {
          id: 9,
          vehicleId: 2,
          type: 'overspeed',
          t: now,
          recordedAt: now,
          late: false,
          data: { speedKmh: 80, limitKmh: 50, lat: 0, lon: 0 },
        },
      ]),
    );
    expect(items()[0]).toMatch(/Van 02\s*Overspeed\s*80 km\/h/);
  });

  it('names the vehicle of an event as the alarm dock does, also once the view was narrowed away from it', async () => {
    const now = Date.now();
    const overspeedOf = (id: number, vehicleId: number) => ({
      id,
      vehicleId,
      type: 'overspeed' as const,
      t: now - 1000 + id,
      recordedAt: now,
      late: false,
      data: { speedKmh: 71, limitKmh: 50, lat: 52.5, lon: 13.4 },
    });
    const services = testServices(() => json(200, { events: [] }));
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => services.stores.events.getState().add([overspeedOf(1, 2), overspeedOf(2, 9)]));
    // Narrowed to a view without Van 02 (its alarm still open), Van 01 renamed meanwhile.
    const [van1] = three();
    await step(() => loadFleet(services, [{ ...van1!, name: 'Van 01 (spare)' }]));
    await step(() => services.stores.events.getState().add([overspeedOf(3, 1)]));
    const names = [
      ...view.container.querySelectorAll('[data-testid="event-log"] .vehicle-link'),
    ].map(text);
    expect(names).toEqual(['Van 01 (spare)', 'Unknown vehicle (id 9)', 'Van 02']);
  });

  it('names the vehicle of an event with no open alarm as the console last held it, once the view was narrowed away from it', async () => {
    const now = Date.now();
    const ignitionOf = (id: number, vehicleId: number) => ({
      ...ignition(id, now - 10_000),
      vehicleId,
    });
    const services = testServices(() => json(200, { events: [] }));
    loadFleet(services, three());
    const view = await openFleetLog(services);
    // Ignitions raise no alarm: nothing but the console's memory of the session names Truck 1.
    await step(() => services.stores.events.getState().add([ignitionOf(1, 3), ignitionOf(2, 9)]));
    const [van1] = three();
    await step(() => loadFleet(services, [van1!]));
    expect(services.stores.fleet.getState().vehicles.has(3)).toBe(false);
    const names = [
      ...view.container.querySelectorAll('[data-testid="event-log"] .vehicle-link'),
    ].map(text);
    // Vehicle 9 was never held this session.
    expect(names).toEqual(['Unknown vehicle (id 9)', 'Truck 1']);
  });

  it('says when a reconnect replayed only the newest missed events, and loads the earlier ones', async () => {
    const now = Date.now();
    // One event a second, the 50th now.
    const event = (id: number) => ignition(id, now - 50_000);
    // The server's log, newest first: 1 and 2 before the outage, 3 to 50 while the console was away.
    let stored = 2;
    const services = testServices(pagedLog(() => stored, now - 50_000));
    loadFleet(services, three());
    services.stores.events.getState().add([event(1), event(2)]);
    // The log was open before the outage: it loaded what the server had then.
    const view = await openFleetLog(services);
    const notice = () => view.container.querySelector('[data-testid="replay-gap"]');
    const ids = () => eventIds(view.container);
    const button = (name: string) =>
      [...view.container.querySelectorAll('button')].find((b) => b.textContent === name);
    await step(() => undefined);
    expect(notice()).toBeNull();

    // The replay holds the newest three (48 to 50) and says older ones were left out.
    stored = 50;
    await step(() =>
      services.stores.events
        .getState()
        .add([event(48), event(49), event(50)], { replay: true, truncated: true }),
    );
    expect(text(notice())).toMatch(/Not every missed event is listed/);
    expect(text(notice())).toContain('only the newest 3 are shown');
    expect(text(notice())).toContain(
      `Those recorded between ${formatTime(now - 48_000)} and ${formatTime(now - 2000)} are missing here`,
    );
    // Looks complete, but 3 to 47 are missing.
    expect(ids()).toEqual([50, 49, 48, 2, 1]);

    services.requests.length = 0;
    await step(() => button('Show earlier events')?.click());
    await step(() => undefined);
    expect(services.requests).toEqual([expect.stringMatching(/[?&]before=48(&|$)/)]);
    // Now the log runs on without a hole.
    expect(ids()).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
    expect(notice()).toBeNull();
    expect(services.stores.events.getState().replayGap).toBeNull();

    // Another long outage: the notice is back; dismissed, it stays away after a complete replay.
    await step(() =>
      services.stores.events
        .getState()
        .add([event(60), event(61)], { replay: true, truncated: true }),
    );
    expect(text(notice())).toContain('only the newest 2 are shown');
    await step(() => button('Dismiss')?.click());
    expect(notice()).toBeNull();
    await step(() => services.stores.events.getState().add([event(62)], { replay: true }));
    expect(notice()).toBeNull();
  });

  it('keeps the live events it showed when more arrive than the live list holds: no hole, no request', async () => {
    const now = Date.now();
    const base = baseToday(now);
    // The server's page when the log opens: 1 to 100.
    const services = testServices(pagedLog(() => 100, base));
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => undefined);
    const ids = () => eventIds(view.container);
    expect(ids()).toHaveLength(100);
    services.requests.length = 0;

    // 1100 live events in two bursts; the live list keeps the newest 1000 (201 to 1200).
    await step(() =>
      services.stores.events
        .getState()
        .add(Array.from({ length: 600 }, (_, i) => ignition(101 + i, base))),
    );
    await step(() =>
      services.stores.events
        .getState()
        .add(Array.from({ length: 500 }, (_, i) => ignition(701 + i, base))),
    );
    expect(services.stores.events.getState().events.at(-1)?.id).toBe(201);
    // 101 to 200 left the live list but not the log.
    expect(ids()).toEqual(Array.from({ length: 1200 }, (_, i) => 1200 - i));
    expect(services.requests).toEqual([]);
  });

  it('past the events it keeps, lets the oldest rows go from the bottom and pages on from the server', async () => {
    const now = Date.now();
    const base = baseToday(now);
    const services = testServices(pagedLog(() => 100, base));
    loadFleet(services, three());
    const view = await openFleetLog(services, 150);
    await step(() => undefined);
    const ids = () => eventIds(view.container);
    const older = () =>
      [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Older events');
    expect(ids()).toHaveLength(100);
    expect(older()).toBeUndefined();

    // 200 live events: more than the log keeps (still all in the live list).
    // It lets the page from the server go, so that what it shows is one run.
    await step(() =>
      services.stores.events
        .getState()
        .add(Array.from({ length: 200 }, (_, i) => ignition(101 + i, base))),
    );
    await step(() => undefined);
    expect(ids()).toEqual(Array.from({ length: 200 }, (_, i) => 300 - i));
    services.requests.length = 0;
    await step(() => older()?.click());
    await step(() => undefined);
    expect(services.requests).toEqual([expect.stringMatching(/[?&]before=101(&|$)/)]);
    expect(ids()).toEqual(Array.from({ length: 300 }, (_, i) => 300 - i));
  });

  it('says when a page of older events could not be loaded, and loads it on the next try', async () => {
    const base = baseToday(Date.now());
    // 300 events on the server, sent a page (`limit`) at a time.
    const log = (url: string) => {
      const params = new URL(url, 'http://x').searchParams;
      const before = Number(params.get('before') ?? 301);
      const limit = Number(params.get('limit') ?? 300);
      const events = [];
      for (let id = before - 1; id >= 1 && events.length < limit; id--)
        events.push(ignition(id, base));
      return json(200, { events });
    };
    let down = false;
    const services = testServices((url) =>
      down && url.includes('before=') ? json(503, { error: { type: 'unavailable' } }) : log(url),
    );
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => undefined);
    const ids = () => eventIds(view.container);
    const older = () =>
      [...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Older events');
    expect(ids()).toHaveLength(200);

    down = true;
    await step(() => older()?.click());
    await step(() => undefined);
    expect(text(view.container)).toMatch(/Older events could not be loaded/);
    // What was shown stays, and so does the way to try again.
    expect(ids()).toHaveLength(200);
    expect(older()).toBeDefined();

    down = false;
    await step(() => older()?.click());
    await step(() => undefined);
    expect(text(view.container)).not.toMatch(/could not be loaded/);
    expect(ids()).toHaveLength(300);
  });

  it('exports every event of the day, not only the rows loaded, and says how many', async () => {
    const base = baseToday(Date.now());
    const TOTAL = 2450;
    // A server that pages as the real one does: `limit` newest below `before`.
    const services = testServices((url) => {
      const q = new URL(url, 'http://x').searchParams;
      const before = Number(q.get('before') ?? Infinity);
      const limit = Number(q.get('limit'));
      const events = [];
      for (let id = Math.min(TOTAL, before - 1); id >= 1 && events.length < limit; id--)
        events.push(ignition(id, base));
      return json(200, { events });
    });
    const saved: string[] = [];
    services.platform = {
      ...services.platform,
      exportFile: (file) => {
        saved.push(file.content);
        return Promise.resolve(file.name);
      },
    };
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => undefined);
    expect(eventIds(view.container)).toHaveLength(200);

    const exportButton = [...view.container.querySelectorAll('button')].find(
      (b) => b.textContent === 'Export CSV',
    );
    await step(() => exportButton?.click());
    await step(() => undefined);
    expect(saved).toHaveLength(1);
    // UTF-8 with a byte order mark, for Excel.
    expect(saved[0]?.startsWith('\uFEFFevent_id,')).toBe(true);
    const lines = saved[0]?.trim().split('\r\n') ?? [];
    // The header and every event, oldest first.
    expect(lines).toHaveLength(TOTAL + 1);
    expect(lines[1]?.startsWith('1,')).toBe(true);
    expect(lines.at(-1)?.startsWith(`${TOTAL},`)).toBe(true);
    expect(text(view.container.querySelector('[role="status"]'))).toContain(
      `all ${TOTAL.toLocaleString()} events of the day`,
    );
  });

  it('loads again when the connection comes back after a failed load', async () => {
    let reachable = false;
    const services = testServices((url) =>
      reachable
        ? json(200, { events: [ignition(5, baseToday(Date.now()))] })
        : Promise.reject(new TypeError(`Failed to fetch ${url}`)),
    );
    services.stores.connection.getState().set('reconnecting', Date.now());
    loadFleet(services, three());
    const view = await openFleetLog(services);
    await step(() => undefined);
    expect(text(view.container.querySelector('.error'))).toContain('cannot be reached');

    reachable = true;
    await step(() => services.stores.connection.getState().set('live', Date.now()));
    await step(() => undefined);
    expect(view.container.querySelector('.error')).toBeNull();
    expect(eventIds(view.container)).toEqual([5]);
  });
});
