// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import { loadFleet, three, vehicleSnapshot } from '../testing/fixtures';
import { press, render, step, testServices, text } from '../testing/render';
import { ALARM_ROW_HEIGHT, AlarmsDock, POINTER_HOLD_MS } from './AlarmsDock';

afterEach(() => {
  vi.useRealTimers();
});

/** `count` overspeed alarms of Van 2, ids from..: the dock lists them newest (highest id) first. */
function overspeeds(count: number, from = 1): FleetEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    id: from + i,
    vehicleId: 2,
    type: 'overspeed' as const,
    t: now,
    recordedAt: now,
    late: false,
    data: { speedKmh: 60 + (i % 40), limitKmh: 50, lat: 52.5, lon: 13.4 },
  }));
}

describe('the alarm dock with many open alarms', () => {
  const open = async (count: number) => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(count)));
    const c = view.container;
    const toggle = [...c.querySelectorAll('button')].find((b) => text(b).startsWith('Show all'));
    await step(() => toggle?.click());
    const viewport = c.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
    const rows = () => [...c.querySelectorAll<HTMLElement>('li.alarm')];
    const row = (position: number) => c.querySelector(`li.alarm[aria-posinset="${position}"]`);
    return { services, c, viewport, rows, row };
  };
  const focused = () => document.activeElement?.closest('li.alarm');

  it('puts only the rows in view into the DOM, and scrolls to the last of 10,000', async () => {
    const { viewport, rows, row } = await open(10_000);
    expect(rows().length).toBeGreaterThan(0);
    expect(rows().length).toBeLessThan(60);
    // Assistive technology still hears how long the list is.
    expect(rows()[0]?.getAttribute('aria-setsize')).toBe('10000');
    expect(viewport.querySelector('ul')?.style.height).toBe(`${10_000 * ALARM_ROW_HEIGHT}px`);

    await step(() => {
      viewport.scrollTop = 10_000 * ALARM_ROW_HEIGHT;
      viewport.dispatchEvent(new Event('scroll'));
    });
    expect(rows().length).toBeLessThan(60);
    // The last is the oldest overspeed, id 1 (60 km/h).
    expect(text(row(10_000))).toContain('Van 02 B-FL 2 Overspeed 60 km/h');
    expect(row(10_000)?.getAttribute('style')).toContain(`top: ${9_999 * ALARM_ROW_HEIGHT}px`);
    expect(row(5_000)).toBeNull();
  });

  it('moves between alarms with the keyboard, to the last one and back, and acknowledges it', async () => {
    const { services, rows, row } = await open(10_000);
    const ack = (position: number) =>
      row(position)?.querySelector<HTMLButtonElement>('button[aria-label="Acknowledge"]');
    // One Tab stop: the first row's controls.
    const tabbable = () =>
      [...document.querySelectorAll<HTMLElement>('li.alarm button')].filter(
        (b) => b.tabIndex === 0,
      );
    expect(tabbable().map((b) => b.closest('li')?.getAttribute('aria-posinset'))).toEqual([
      '1',
      '1',
    ]);
    await step(() => ack(1)?.focus());

    await press('ArrowDown', document.activeElement!);
    expect(focused()?.getAttribute('aria-posinset')).toBe('2');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Acknowledge');
    await press('End', document.activeElement!);
    expect(focused()?.getAttribute('aria-posinset')).toBe('10000');
    expect(rows().length).toBeLessThan(60);
    await press('ArrowUp', document.activeElement!);
    expect(focused()?.getAttribute('aria-posinset')).toBe('9999');
    await press('ArrowDown', document.activeElement!);
    await press('ArrowDown', document.activeElement!);
    expect(focused()?.getAttribute('aria-posinset')).toBe('10000');
    // The keys are the list's: the page's ↓ shortcut (next vehicle) does not fire.
    expect(services.stores.ui.getState().selectedId).toBeNull();

    // Enter on the focused ✓ clicks it: the last alarm (id 1) is acknowledged,
    // and the focus goes to the alarm now last, not to the page.
    await step(() => (document.activeElement as HTMLButtonElement).click());
    const alarms = services.stores.events.getState().alarms;
    expect(alarms.find((a) => a.event.id === 1)?.acknowledged).toBe(true);
    expect(alarms.filter((a) => !a.acknowledged)).toHaveLength(9_999);
    expect(focused()?.getAttribute('aria-posinset')).toBe('9999');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Acknowledge');

    await press('Home', document.activeElement!);
    expect(focused()?.getAttribute('aria-posinset')).toBe('1');
    await press('PageDown', document.activeElement!);
    expect(Number(focused()?.getAttribute('aria-posinset'))).toBeGreaterThan(1);
  });

  it('keeps the focused row while it is scrolled out of view', async () => {
    const { viewport, row } = await open(10_000);
    await step(() => row(1)?.querySelector<HTMLButtonElement>('button')?.focus());
    await step(() => {
      viewport.scrollTop = 5_000 * ALARM_ROW_HEIGHT;
      viewport.dispatchEvent(new Event('scroll'));
    });
    expect(row(5_000)).not.toBeNull();
    expect(focused()?.getAttribute('aria-posinset')).toBe('1');
  });

  describe('holds its place while alarms come and go', () => {
    /** Where a row is on the screen: px below the top of the list's viewport. */
    const onScreen = (viewport: HTMLElement, id: number) => {
      const row = viewport.querySelector<HTMLElement>(`li[data-alarm-id="${id}"]`);
      return row ? parseFloat(row.style.top) - viewport.scrollTop : null;
    };
    const scrollTo = (viewport: HTMLElement, top: number) =>
      step(() => {
        viewport.scrollTop = top;
        viewport.dispatchEvent(new Event('scroll'));
      });
    const inView = (viewport: HTMLElement) =>
      [...viewport.querySelectorAll<HTMLElement>('li.alarm')]
        .filter((row) => {
          const top = parseFloat(row.style.top) - viewport.scrollTop;
          return top > -ALARM_ROW_HEIGHT && top < 600;
        })
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((row) => row.dataset.alarmId);

    it('keeps the rows in view, and the focus, when alarms arrive or are acknowledged above them', async () => {
      const { services, viewport } = await open(500);
      // Mid-list, the top row partly scrolled away: ids 500 (first) .. 1 (last).
      await scrollTo(viewport, 200 * ALARM_ROW_HEIGHT + 10);
      // Row 203 (id 298) has the keyboard's focus on its ✓.
      await step(() =>
        viewport
          .querySelector<HTMLButtonElement>('li[data-alarm-id="298"] [aria-label="Acknowledge"]')
          ?.focus(),
      );
      const shown = inView(viewport);
      const where = onScreen(viewport, 298);
      expect(shown).toContain('298');

      await step(() => services.stores.events.getState().add(overspeeds(3, 501)));
      // Three new alarms above: the list scrolled by three rows, nothing in view moved.
      expect(viewport.scrollTop).toBe(203 * ALARM_ROW_HEIGHT + 10);
      expect(inView(viewport)).toEqual(shown);
      expect(onScreen(viewport, 298)).toBe(where);
      expect(document.activeElement?.closest('li')?.dataset.alarmId).toBe('298');
      expect(document.activeElement?.getAttribute('aria-label')).toBe('Acknowledge');

      // Five acknowledged above (elsewhere: another window, the event log): the same.
      for (const id of [503, 502, 501, 500, 499])
        await step(() => services.stores.events.getState().acknowledge(id));
      expect(viewport.scrollTop).toBe(198 * ALARM_ROW_HEIGHT + 10);
      expect(inView(viewport)).toEqual(shown);
      expect(onScreen(viewport, 298)).toBe(where);
      expect(document.activeElement?.closest('li')?.dataset.alarmId).toBe('298');

      // A click's ✓ acknowledges its own alarm; the next takes its place, as before.
      const below = shown[shown.indexOf('298') + 1];
      await step(() => (document.activeElement as HTMLButtonElement).click());
      expect(viewport.scrollTop).toBe(198 * ALARM_ROW_HEIGHT + 10);
      expect(onScreen(viewport, 297)).toBe(where);
      expect(below).toBe('297');
      expect(document.activeElement?.closest('li')?.dataset.alarmId).toBe('297');
    });

    it('keeps the row under the pointer where it is when an alarm comes in above it, in view', async () => {
      const services = testServices();
      loadFleet(services, three());
      const view = await render(services, <AlarmsDock />);
      // 100 harsh brakings (ids 1001..1100) above 400 overspeeds (ids 1..400).
      const brakings = overspeeds(100, 1001).map((e): FleetEvent => ({
        ...e,
        type: 'harsh_braking',
        data: {
          lat: null,
          lon: null,
          speedKmh: null,
          accelMs2: -6,
          durationS: null,
          distanceKm: null,
        },
      }));
      await step(() => services.stores.events.getState().add([...overspeeds(400), ...brakings]));
      const toggle = [...view.container.querySelectorAll('button')].find((b) =>
        text(b).startsWith('Show all'),
      );
      await step(() => toggle?.click());
      const viewport = view.container.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
      // Rows 95.. in view: the last brakings, then the overspeeds from row 100 (id 400).
      await scrollTo(viewport, 95 * ALARM_ROW_HEIGHT);
      // The pointer rests on row 105 (id 395), about to click it.
      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointermove', { bubbles: true, clientY: 10 * ALARM_ROW_HEIGHT + 5 }),
        ),
      );
      const where = onScreen(viewport, 395);
      expect(where).toBe(10 * ALARM_ROW_HEIGHT);

      // A new overspeed goes first among the overspeeds: row 100, in view, above the pointer.
      await step(() => services.stores.events.getState().add(overspeeds(1, 401)));
      expect(onScreen(viewport, 395)).toBe(where);

      // The pointer gone, the top row in view is what holds.
      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointerout', { bubbles: true, relatedTarget: document.body }),
        ),
      );
      const top = inView(viewport)[0];
      await step(() => services.stores.events.getState().add(overspeeds(1, 402)));
      expect(inView(viewport)[0]).toBe(top);
    });

    it('folds once every alarm is acknowledged, and the next storm comes in the folded dock, at its top', async () => {
      const { services, c, rows, row } = await open(500);
      const list = () => c.querySelector<HTMLElement>('[data-testid="alarm-list"]');
      const toggle = () =>
        [...c.querySelectorAll<HTMLButtonElement>('button')].find((b) =>
          b.hasAttribute('aria-expanded'),
        );
      await scrollTo(list()!, 200 * ALARM_ROW_HEIGHT);
      await step(() => services.stores.events.getState().acknowledgeAll());
      expect(list()).toBeNull();
      await step(() => services.stores.events.getState().add(overspeeds(500, 1001)));
      // Folded: six rows and the way to the rest, not the list expanded for the alarms dealt with.
      expect(rows()).toHaveLength(6);
      expect(list()?.classList).not.toContain('expanded');
      expect(toggle()?.getAttribute('aria-expanded')).toBe('false');
      expect(text(toggle())).toBe('Show all 500 (494 more)');
      // A new list, at its top: its first rows are in the page, not blanks.
      expect(list()?.scrollTop).toBe(0);
      expect(row(1)?.getAttribute('data-alarm-id')).toBe('1500');
      expect(row(6)?.getAttribute('data-alarm-id')).toBe('1495');
      // Expanded again, it is at its top too.
      await step(() => toggle()?.click());
      expect(list()?.scrollTop).toBe(0);
      expect(row(1)?.getAttribute('data-alarm-id')).toBe('1500');
      expect(row(7)?.getAttribute('data-alarm-id')).toBe('1494');
    });

    it('at the top, keeps the row under the pointer where it is, and shows what came in above once it leaves', async () => {
      const { services, viewport, row } = await open(500);
      // The pointer rests on row 3 (id 498); the list is at its top.
      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointermove', { bubbles: true, clientY: 2 * ALARM_ROW_HEIGHT + 5 }),
        ),
      );
      expect(onScreen(viewport, 498)).toBe(2 * ALARM_ROW_HEIGHT);
      await step(() => services.stores.events.getState().add(overspeeds(2, 501)));
      expect(onScreen(viewport, 498)).toBe(2 * ALARM_ROW_HEIGHT);
      expect(viewport.scrollTop).toBe(2 * ALARM_ROW_HEIGHT);
      expect(text(document.querySelector('[data-testid="alarms-held"]'))).toBe(
        '↑ 2 new above, shown when the pointer leaves the list',
      );

      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointerout', { bubbles: true, relatedTarget: document.body }),
        ),
      );
      expect(viewport.scrollTop).toBe(0);
      expect(row(1)?.getAttribute('data-alarm-id')).toBe('502');
      expect(document.querySelector('[data-testid="alarms-held"]')).toBeNull();
    });

    it('shows new alarms at the top when the list is scrolled to the top', async () => {
      const { services, viewport, row } = await open(500);
      await step(() => services.stores.events.getState().add(overspeeds(2, 501)));
      expect(viewport.scrollTop).toBe(0);
      expect(row(1)?.getAttribute('data-alarm-id')).toBe('502');
      expect(row(3)?.getAttribute('data-alarm-id')).toBe('500');
    });
  });

  describe('folds with six alarms or fewer', () => {
    const toggle = (c: HTMLElement) =>
      [...c.querySelectorAll<HTMLButtonElement>('button')].find((b) =>
        b.hasAttribute('aria-expanded'),
      );
    const shownIds = (c: HTMLElement) =>
      [...c.querySelectorAll<HTMLElement>('li.alarm')].map((r) => r.dataset.alarmId);

    it('by itself once they fit in the folded dock, so the next storm comes in folded', async () => {
      const { services, c, viewport } = await open(8);
      // The keyboard on "Show fewer" while alarms are acknowledged elsewhere (another console).
      await step(() => toggle(c)?.focus());
      await step(() => services.stores.events.getState().acknowledge(1));
      expect(viewport.classList).toContain('expanded');
      expect(text(toggle(c))).toBe('Show fewer');
      await step(() => services.stores.events.getState().acknowledge(2));
      // Six: the same rows, folded, with nothing to show or fold; the focus
      // goes to the list, not to the page.
      expect(viewport.classList).not.toContain('expanded');
      expect(toggle(c)).toBeUndefined();
      expect(shownIds(c)).toEqual(['8', '7', '6', '5', '4', '3']);
      expect(focused()?.getAttribute('data-alarm-id')).toBe('8');
      expect(document.activeElement?.getAttribute('data-column')).toBe('vehicle');

      await step(() => services.stores.events.getState().add(overspeeds(500, 1001)));
      expect(shownIds(c)).toHaveLength(6);
      expect(toggle(c)?.getAttribute('aria-expanded')).toBe('false');
      expect(text(toggle(c))).toBe('Show all 506 (500 more)');
    });

    /**
     * Eight open (ids 8..1), expanded; the pointer on the third row (id 6)
     * when an alarm (9) comes in above it, then three acknowledged below it:
     * six open, the list held one row down from its top.
     */
    const heldWithSix = async () => {
      const dock = await open(8);
      const { services, c, viewport } = dock;
      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointermove', { bubbles: true, clientY: 2 * ALARM_ROW_HEIGHT + 5 }),
        ),
      );
      await step(() => services.stores.events.getState().add(overspeeds(1, 9)));
      for (const id of [1, 2, 3])
        await step(() => services.stores.events.getState().acknowledge(id));
      expect(text(c.querySelector('h2 .count'))).toBe('6');
      // Nothing moved under the pointer: still expanded, held, and it can be folded.
      expect(viewport.scrollTop).toBe(ALARM_ROW_HEIGHT);
      const row6 = viewport.querySelector<HTMLElement>('li[data-alarm-id="6"]');
      expect(parseFloat(row6?.style.top ?? '') - viewport.scrollTop).toBe(2 * ALARM_ROW_HEIGHT);
      expect(viewport.classList).toContain('expanded');
      expect(text(c.querySelector('[data-testid="alarms-held"]'))).toBe(
        '↑ 1 new above, shown when the pointer leaves the list',
      );
      expect(text(toggle(c))).toBe('Show fewer');
      expect(toggle(c)?.getAttribute('aria-expanded')).toBe('true');
      return dock;
    };

    it('not while the pointer holds a row below its top: once the pointer leaves', async () => {
      const { c, viewport } = await heldWithSix();
      await step(() =>
        viewport.dispatchEvent(
          new PointerEvent('pointerout', { bubbles: true, relatedTarget: document.body }),
        ),
      );
      expect(viewport.scrollTop).toBe(0);
      expect(viewport.classList).not.toContain('expanded');
      expect(toggle(c)).toBeUndefined();
      expect(shownIds(c)).toEqual(['9', '8', '7', '6', '5', '4']);
    });

    it('or when "Show fewer" is pressed meanwhile, the focus going to the list', async () => {
      const { c, viewport } = await heldWithSix();
      await step(() => toggle(c)?.focus());
      await step(() => toggle(c)?.click());
      expect(viewport.scrollTop).toBe(0);
      expect(viewport.classList).not.toContain('expanded');
      expect(toggle(c)).toBeUndefined();
      expect(shownIds(c)).toEqual(['9', '8', '7', '6', '5', '4']);
      expect(focused()?.getAttribute('data-alarm-id')).toBe('9');
      expect(document.activeElement?.getAttribute('data-column')).toBe('vehicle');
    });
  });

  it('folded, keeps the row under the pointer where it is, and shows what came in above once it leaves', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(8)));
    const list = view.container.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
    const shown = () =>
      [...list.querySelectorAll<HTMLElement>('li.alarm')]
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((r) => [r.dataset.alarmId, parseFloat(r.style.top)]);
    const held = () => view.container.querySelector('[data-testid="alarms-held"]');
    // Ids 8 .. 3 shown; the pointer rests on the second row (id 7).
    await step(() =>
      list.dispatchEvent(
        new PointerEvent('pointermove', { bubbles: true, clientY: ALARM_ROW_HEIGHT + 5 }),
      ),
    );
    const before = shown();
    expect(before.map(([id]) => id)).toEqual(['8', '7', '6', '5', '4', '3']);

    // Two alarms come in first: the six rows stay as they are, the new ones wait above.
    await step(() => services.stores.events.getState().add(overspeeds(2, 9)));
    expect(shown()).toEqual(before);
    expect(text(held())).toBe('↑ 2 new above, shown when the pointer leaves the list');
    expect(text(view.container.querySelector('h2 .count'))).toBe('10');

    // One of them acknowledged elsewhere: still nothing moves.
    await step(() => services.stores.events.getState().acknowledge(10));
    expect(shown()).toEqual(before);
    expect(text(held())).toBe('↑ 1 new above, shown when the pointer leaves the list');

    // The ✓ under the pointer clicked: its row goes, the next takes its place.
    await step(() =>
      list
        .querySelector<HTMLButtonElement>('li[data-alarm-id="7"] [aria-label="Acknowledge"]')
        ?.click(),
    );
    expect(shown().map(([id]) => id)).toEqual(['8', '6', '5', '4', '3', '2']);

    await step(() =>
      list.dispatchEvent(
        new PointerEvent('pointerout', { bubbles: true, relatedTarget: document.body }),
      ),
    );
    expect(shown().map(([id]) => id)).toEqual(['9', '8', '6', '5', '4', '3']);
    expect(shown()[0]?.[1]).toBe(0);
    expect(held()).toBeNull();
  });

  it('folded, keeps the focused alarm among the six shown when new ones push it down, so the focus stays on it', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(8)));
    const list = view.container.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
    const shown = () =>
      [...list.querySelectorAll<HTMLElement>('li.alarm')]
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((r) => r.dataset.alarmId);
    const held = () => view.container.querySelector('[data-testid="alarms-held"]');
    // Ids 8 .. 3 shown; the keyboard on the fourth row (id 5), no pointer on the list.
    await step(() =>
      list
        .querySelector<HTMLButtonElement>('li[data-alarm-id="5"] [aria-label="Acknowledge"]')
        ?.focus(),
    );

    // Two come in: the focused row moves down as new ones come into view at the top.
    await step(() => services.stores.events.getState().add(overspeeds(2, 9)));
    expect(shown()).toEqual(['10', '9', '8', '7', '6', '5']);
    expect(focused()?.getAttribute('data-alarm-id')).toBe('5');
    expect(held()).toBeNull();

    // Two more would push it out of the six: they stay above it instead, and the focus on it.
    await step(() => services.stores.events.getState().add(overspeeds(2, 11)));
    expect(shown()).toEqual(['10', '9', '8', '7', '6', '5']);
    expect(focused()?.getAttribute('data-alarm-id')).toBe('5');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Acknowledge');
    expect(text(held())).toBe('↑ 2 new above, shown by Home or when the focus leaves the list');

    // Focusing another row shown moves nothing; up from the first row shown
    // brings the one above into view, focused.
    await step(() =>
      list
        .querySelector<HTMLButtonElement>('li[data-alarm-id="10"] [aria-label="Acknowledge"]')
        ?.focus(),
    );
    expect(shown()).toEqual(['10', '9', '8', '7', '6', '5']);
    await press('ArrowUp', document.activeElement!);
    expect(focused()?.getAttribute('data-alarm-id')).toBe('11');
    expect(shown()).toEqual(['11', '10', '9', '8', '7', '6']);
    await press('Home', document.activeElement!);
    expect(focused()?.getAttribute('data-alarm-id')).toBe('12');
    expect(shown()).toEqual(['12', '11', '10', '9', '8', '7']);
    expect(held()).toBeNull();
  });

  it('folded, shows what the focus held above once the focus leaves the list', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(8)));
    const list = view.container.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
    const firstShown = () =>
      [...list.querySelectorAll<HTMLElement>('li.alarm')].find((r) => r.style.top === '0px')
        ?.dataset.alarmId;
    // The last of the six shown (id 3) focused; one more pushes it down.
    await step(() =>
      list
        .querySelector<HTMLButtonElement>('li[data-alarm-id="3"] [data-column="vehicle"]')
        ?.focus(),
    );
    await step(() => services.stores.events.getState().add(overspeeds(1, 9)));
    expect(firstShown()).toBe('8');
    expect(focused()?.getAttribute('data-alarm-id')).toBe('3');
    await step(() => (document.activeElement as HTMLElement).blur());
    expect(firstShown()).toBe('9');
    expect(view.container.querySelector('[data-testid="alarms-held"]')).toBeNull();
  });

  it('holds no longer than POINTER_HOLD_MS for a pointer that does not move: new alarms come into view', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(8)));
    const list = view.container.querySelector<HTMLElement>('[data-testid="alarm-list"]')!;
    const firstShown = () =>
      [...list.querySelectorAll<HTMLElement>('li.alarm')].find((r) => r.style.top === '0px')
        ?.dataset.alarmId;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    act(() => {
      list.dispatchEvent(
        new PointerEvent('pointermove', { bubbles: true, clientY: ALARM_ROW_HEIGHT + 5 }),
      );
    });
    act(() => {
      services.stores.events.getState().add(overspeeds(1, 9));
    });
    expect(firstShown()).toBe('8');
    act(() => {
      vi.advanceTimersByTime(POINTER_HOLD_MS - 1);
    });
    expect(firstShown()).toBe('8');
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(firstShown()).toBe('9');
    expect(view.container.querySelector('[data-testid="alarms-held"]')).toBeNull();
    // And the next alarm comes into view too, the pointer not having moved since.
    act(() => {
      services.stores.events.getState().add(overspeeds(1, 10));
    });
    expect(firstShown()).toBe('10');
  });

  it('selects the vehicle from its name, and moves the focus to the next alarm once one is acknowledged', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(3)));
    const first = view.container.querySelector<HTMLButtonElement>('li.alarm button.link');
    await step(() => first?.focus());
    await step(() => first?.click());
    expect(services.stores.ui.getState().selectedId).toBe(2);
    await press('ArrowDown', document.activeElement!);
    expect(text(document.activeElement)).toBe('Van 02');
    const ackSecond = focused()?.querySelector<HTMLButtonElement>('[aria-label="Acknowledge"]');
    await step(() => ackSecond?.focus());
    await step(() => ackSecond?.click());
    // Ids 3, 2, 1 were listed; 2 is acknowledged and 1 takes its place and the focus.
    expect(focused()?.getAttribute('aria-posinset')).toBe('2');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Acknowledge');
    expect(view.container.querySelectorAll('li.alarm')).toHaveLength(2);
  });
});

describe('the alarm dock when the focused alarm is acknowledged elsewhere', () => {
  const mount = async (count: number, expand = false) => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    await step(() => services.stores.events.getState().add(overspeeds(count)));
    const c = view.container;
    if (expand) {
      const toggle = [...c.querySelectorAll('button')].find((b) => text(b).startsWith('Show all'));
      await step(() => toggle?.click());
    }
    const focusOn = (id: number, column: 'vehicle' | 'acknowledge') =>
      step(() =>
        c
          .querySelector<HTMLButtonElement>(`li[data-alarm-id="${id}"] [data-column="${column}"]`)
          ?.focus(),
      );
    // As another console's acknowledgement arriving over the feed does.
    const acknowledgeElsewhere = (id: number) =>
      step(() => services.stores.events.getState().acknowledge(id));
    return { services, c, focusOn, acknowledgeElsewhere };
  };
  const focusedId = () =>
    document.activeElement?.closest('li.alarm')?.getAttribute('data-alarm-id');
  const focusedColumn = () => document.activeElement?.getAttribute('data-column');

  it('folded, moves the focus to the alarm that took its place, else the one above it', async () => {
    // Ids 8 .. 3 shown.
    const { focusOn, acknowledgeElsewhere } = await mount(8);
    await focusOn(5, 'acknowledge');
    await acknowledgeElsewhere(5);
    expect(focusedId()).toBe('4');
    expect(focusedColumn()).toBe('acknowledge');
    // The last shown (8, 7, 6, 4, 3, 2 once 5 went), on its name; one not shown goes.
    await focusOn(2, 'vehicle');
    await acknowledgeElsewhere(1);
    expect(focusedId()).toBe('2');
    await acknowledgeElsewhere(2);
    // None below: the one above takes the focus.
    expect(focusedId()).toBe('3');
    expect(focusedColumn()).toBe('vehicle');
    // And it is the list's one Tab stop.
    expect(document.activeElement?.getAttribute('tabindex')).toBe('0');
  });

  it('expanded, moves the focus to the alarm that took its place, else the one above it', async () => {
    const { c, focusOn, acknowledgeElsewhere } = await mount(40, true);
    expect(c.querySelector('[data-testid="alarm-list"]')?.classList).toContain('expanded');
    await focusOn(38, 'acknowledge');
    await acknowledgeElsewhere(38);
    expect(focusedId()).toBe('37');
    expect(focusedColumn()).toBe('acknowledge');
    expect(document.activeElement?.getAttribute('tabindex')).toBe('0');
    // The last alarm (id 1), scrolled to: none below it, the one above takes the focus.
    await press('End', document.activeElement!);
    expect(focusedId()).toBe('1');
    await acknowledgeElsewhere(1);
    expect(focusedId()).toBe('2');
    expect(focusedColumn()).toBe('acknowledge');
    expect(document.activeElement?.getAttribute('tabindex')).toBe('0');
  });

  it('emptied by "Acknowledge all", keeps the dock with its heading focused until the focus leaves', async () => {
    const { services, c, focusOn } = await mount(3);
    await focusOn(2, 'acknowledge');
    await step(() => services.stores.events.getState().acknowledgeAll());
    const dock = c.querySelector('[data-testid="alarms"]');
    expect(document.activeElement?.tagName).toBe('H2');
    expect(dock?.contains(document.activeElement)).toBe(true);
    expect(text(dock)).toContain('No open alarms');
    // A new alarm comes in the dock whose heading keeps the focus.
    await step(() => services.stores.events.getState().add(overspeeds(1, 10)));
    expect(document.activeElement?.tagName).toBe('H2');
    expect(c.querySelectorAll('li.alarm')).toHaveLength(1);
    await step(() => services.stores.events.getState().acknowledge(10));
    expect(document.activeElement?.tagName).toBe('H2');
    // The focus gone elsewhere, the empty dock goes from the page.
    await step(() => (document.activeElement as HTMLElement).blur());
    expect(c.querySelector('[data-testid="alarms"]')).toBeNull();
  });
});

describe('alarms', () => {
  it('lists open alarms until acknowledged', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
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
      'Van 01 B-FL 1 Trouble code P0301 Cylinder 1 misfire detected',
    );
    await step(() =>
      view.container.querySelector<HTMLButtonElement>('button[aria-label="Acknowledge"]')?.click(),
    );
    expect(view.container.querySelector('[data-testid="alarms"]')).toBeNull();
  });

  it('names the vehicle of each alarm, with its plate, after the fleet picker narrowed the view away from it', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
    const rows = () =>
      [...view.container.querySelectorAll<HTMLElement>('li.alarm')].map((row) => text(row));
    // Overspeeds of Truck 1 and Van 02, a trouble code of vehicle 9, which this console never held.
    await step(() =>
      services.stores.events.getState().add([
        { ...overspeeds(1)[0]!, vehicleId: 3 },
        ...overspeeds(1, 2),
        {
          id: 3,
          vehicleId: 9,
          type: 'dtc_new',
          t: Date.now(),
          recordedAt: Date.now(),
          late: false,
          data: { code: 'P0301', dtcKind: 'stored' },
        },
      ]),
    );
    expect(rows()[0]).toMatch(/^Unknown vehicle \(id 9\) Trouble code P0301/);
    expect(rows()[1]).toMatch(/^Van 02 B-FL 2 Overspeed/);
    expect(rows()[2]).toMatch(/^Truck 1 M-XY 300 Overspeed/);

    // Narrowed to a view without Truck 1 (the fleet picker: a full snapshot
    // of the vehicles left), and Van 02 renamed meanwhile.
    const [van1, van2] = three();
    await step(() =>
      loadFleet(services, [van1!, { ...van2!, name: 'Van 02 (spare)', plate: 'B-FL 22' }]),
    );
    expect(services.stores.fleet.getState().vehicles.has(3)).toBe(false);
    expect(rows()[1]).toMatch(/^Van 02 \(spare\) B-FL 22 Overspeed/);
    expect(rows()[2]).toMatch(/^Truck 1 M-XY 300 Overspeed/);
    expect(
      view.container
        .querySelector('li.alarm[data-alarm-id="1"] .alarm-text')
        ?.getAttribute('title'),
    ).toMatch(/^Truck 1 M-XY 300 Overspeed/);
    // Vehicle 9 held at last (it joined the view): named from then on.
    await step(() =>
      loadFleet(services, [...three(), vehicleSnapshot({ id: 9, name: 'Bus 9', plate: 'B-BU 9' })]),
    );
    expect(rows()[0]).toMatch(/^Bus 9 B-BU 9 Trouble code P0301/);
  });

  it('lists serious alarms first and expands to show every open alarm', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(services, <AlarmsDock />);
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
