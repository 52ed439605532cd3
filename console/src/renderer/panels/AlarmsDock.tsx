import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { useConsole, useSlice } from '../app/context';
import { MAX_OPEN_ALARMS, compareAlarms } from '../stores/events-store';
import type { Alarm } from '../stores/events-store';
import { describeEvent } from '../history/event-text';
import { useVehicleNamer } from '../app/vehicle-names';
import { formatTime } from './format';
import { useOpenAlarmVehicles } from './use-open-alarm-vehicles';

/**
 * Alarms raised while this console watched, until a dispatcher acknowledges
 * them. This is the dock SOS incidents join in the next release: it sits
 * above everything else in the right-hand column. The most serious come
 * first (a vehicle offline or a trouble code above overspeeds); the first few
 * are shown, and the dock expands to list every open alarm.
 */
export const ALARMS_SHOWN_FOLDED = 6;
/**
 * Every row has this height (two lines of text, clamped), so the expanded
 * list can be windowed: a storm of 10,000 open alarms puts a screenful of
 * rows in the DOM, not 10,000.
 */
export const ALARM_ROW_HEIGHT = 40;
/** Rows rendered above and below the visible ones, so a fast scroll does not show blanks. */
const OVERSCAN = 4;
/** The height assumed until the list is laid out (0 until then): a screenful. */
const UNMEASURED_HEIGHT = 600;

/**
 * How long a pointer that does not move holds the row under it at the top
 * of the list: one left resting on the dock is not about to click, and must
 * not keep the most serious new alarms out of view.
 */
export const POINTER_HOLD_MS = 5000;

/** The two controls of a row; arrow keys keep to the one that has the focus. */
type Column = 'vehicle' | 'acknowledge';

export function AlarmsDock() {
  const { stores } = useConsole();
  const alarms = useSlice(stores.events, (s) => s.alarms);
  const dropped = useSlice(stores.events, (s) => s.alarmsDropped);
  // Not by the fleet store alone: once the fleet picker narrows the view, the
  // console no longer holds the vehicles of some of the alarms listed.
  const nameVehicle = useVehicleNamer();
  const vehicles = useOpenAlarmVehicles();
  const [expanded, setExpanded] = useState(false);
  /**
   * Folded, the first of the six rows shown: 0, unless the pointer holds a
   * row while alarms arrive above it (see the layout effect below).
   */
  const [foldedStart, setFoldedStart] = useState(0);
  /** Expanded, scrolled down from the top only to hold the row under the pointer. */
  const [heldFromTop, setHeldFromTop] = useState(false);
  /**
   * Expanded, empty room below the last row while a row is held: a list
   * that did not overflow its view, or barely, cannot otherwise scroll down
   * by the rows that came in above the held one.
   */
  const [slack, setSlack] = useState(0);
  /** The scroll position the list last set itself, to tell the dispatcher's own scrolling from it. */
  const heldAt = useRef(0);
  // Sorted once per change of the list, not on every scroll.
  const open = useMemo(() => alarms.filter((a) => !a.acknowledged).sort(compareAlarms), [alarms]);
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(UNMEASURED_HEIGHT);
  /**
   * The row the keyboard is on (the list's one Tab stop): by alarm, so it
   * stays on the same alarm when others arrive above it; by position once
   * that alarm is gone (acknowledged), so the focus goes to the next one.
   */
  const [active, setActive] = useState({ id: -1, index: 0 });
  const focusAfterRender = useRef<Column | null>(null);
  /** "Show all" / "Show fewer": gone once the dock folds with six or fewer, so its focus is moved. */
  const toggleButton = useRef<HTMLButtonElement>(null);
  /** The control of a row that last took the focus: the one the focus goes back to in another row. */
  const focusedColumn = useRef<Column>('vehicle');
  /**
   * The alarm the focus goes to once it is rendered, its own row having gone
   * (acknowledged on another console, or by "Acknowledge all") with the focus.
   */
  const refocus = useRef<{ id: number; column: Column } | null>(null);
  /**
   * Whether the heading has the focus, given when the last alarm went with
   * the focus on its row: the dock stays, empty, until the focus leaves, so
   * it is not lost to the page (and new alarms come in under it).
   */
  const [headingFocused, setHeadingFocused] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const focusHeading = useRef(false);

  /** Whether the keyboard's focus is on a row: folded, that row stays among the six shown. */
  const [focusWithin, setFocusWithin] = useState(false);
  /** Whether the pointer holds rows (said below the list: it shows what waits once it leaves). */
  const [pointerOn, setPointerOn] = useState(false);
  const found = open.findIndex((a) => a.event.id === active.id);
  // The rows shown: every one expanded (windowed below); six folded, moved
  // down only as far as needed to keep the focused alarm among them when
  // new ones push it down, so the focus is not lost to the page.
  const start = expanded
    ? 0
    : foldedWindowStart(keepShown(foldedStart, focusWithin ? found : -1), open.length);
  const end = expanded ? open.length : Math.min(open.length, start + ALARMS_SHOWN_FOLDED);
  const shownCount = end - start;
  /** The first row shown in the last commit, for the layout effect that holds rows in place. */
  const startShown = useRef(start);
  const activeIndex = Math.max(start, Math.min(found === -1 ? active.index : found, end - 1));

  // The viewport exists only while there are alarms: measure it when it appears.
  const hasAlarms = open.length > 0;
  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || UNMEASURED_HEIGHT);
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    measure();
    return () => observer.disconnect();
  }, [hasAlarms]);

  /**
   * Where the pointer is over the list (px below its top), while it is: the
   * row under it is the one a click is about to land on.
   */
  const pointerY = useRef<number | null>(null);
  const releaseTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  /** This render's `release`, for the timer set by an earlier one. */
  const releaseLatest = useRef(() => {});
  useEffect(() => () => clearTimeout(releaseTimer.current), []);
  const shownBefore = useRef(open);
  // Alarms that arrive or go above the rows in view must not move those rows
  // under the dispatcher, who may be about to click one: the list keeps an
  // anchor row where it was on the screen and scrolls by what changed above
  // it, before the browser paints. At the very top (and folded) it does so
  // only for the row under the pointer, and only while the pointer is on the
  // list: otherwise new alarms come into view there, as the dispatcher
  // watching the top expects, and they do as soon as the pointer leaves.
  useLayoutEffect(() => {
    const before = shownBefore.current;
    shownBefore.current = open;
    // The focused row gone by no action of this dock's (acknowledged on
    // another console, or all at once), the focus fell to the page: it goes
    // to the alarm that took the row's place, else the one above it, else,
    // none left, to the dock's heading.
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (focusWithin && lost && !open.some((a) => a.event.id === active.id)) {
      if (open.length === 0) {
        setHeadingFocused(true);
        focusHeading.current = true;
        // On the heading, not on a row: no row's going may take the focus back later.
        setFocusWithin(false);
      } else {
        const target =
          takingPlaceOf(before, open, active.id) ?? Math.min(active.index, open.length - 1);
        const alarm = open[target];
        if (alarm) {
          setActive({ id: alarm.event.id, index: target });
          // Folded, it is kept among the six shown, as the focused row is.
          setFocusWithin(true);
          refocus.current = { id: alarm.event.id, column: focusedColumn.current };
        }
      }
    }
    // Every alarm acknowledged, the dock goes from the page, and folds: the
    // next alarms come in the folded dock, not in a list expanded for ones
    // dealt with, and at its top, not at an offset its new viewport (at 0)
    // does not have.
    if (open.length === 0) {
      if (scrollTop !== 0) setScrollTop(0);
      if (expanded) setExpanded(false);
      if (foldedStart !== 0) setFoldedStart(0);
      if (heldFromTop) setHeldFromTop(false);
      if (slack !== 0) setSlack(0);
      return;
    }
    const el = viewport.current;
    if (before === open || !el) return;
    // Rows of `before`, the list as it was on the screen until this render.
    const beforeStart = expanded ? 0 : startShown.current;
    const beforeEnd = expanded
      ? before.length
      : Math.min(before.length, beforeStart + ALARMS_SHOWN_FOLDED);
    const pointed =
      pointerY.current === null
        ? -1
        : beforeStart + Math.floor((scrollTop + pointerY.current) / ALARM_ROW_HEIGHT);
    const underPointer = pointed >= beforeStart && pointed < beforeEnd;
    if (!expanded) {
      // Folded, the six rows shown move down by the alarms that came in above
      // the row under the pointer (and up by those that went), as a scrolled
      // list would: the row stays under it. The focused row is only kept
      // among them (as the render did already): kept there, not derived
      // from the focus alone, so focusing another row shown moves nothing.
      const next = underPointer
        ? anchoredScrollTop(before, open, pointed, beforeStart * ALARM_ROW_HEIGHT)
        : null;
      const focusedAt = focusWithin ? open.findIndex((a) => a.event.id === active.id) : -1;
      const nextStart = foldedWindowStart(
        keepShown(next === null ? 0 : Math.round(next / ALARM_ROW_HEIGHT), focusedAt),
        open.length,
      );
      if (nextStart !== foldedStart) setFoldedStart(nextStart);
      return;
    }
    if (scrollTop <= 0 && !underPointer) return;
    const inView = (index: number) =>
      index >= 0 &&
      index < before.length &&
      (index + 1) * ALARM_ROW_HEIGHT > scrollTop &&
      index * ALARM_ROW_HEIGHT < scrollTop + height;
    // The row under the pointer first, then the one with the keyboard's
    // focus, then the top row in view.
    const focusedId = el.contains(document.activeElement) ? active.id : -1;
    const focused = before.findIndex((a) => a.event.id === focusedId);
    const anchor = [pointed, focused].find(inView) ?? Math.floor(scrollTop / ALARM_ROW_HEIGHT);
    const next = anchoredScrollTop(before, open, anchor, scrollTop);
    if (next === null || next === scrollTop) return;
    // Room enough to scroll to `next`, set here before the scrolling: the
    // view may grow with the list (up to the dock's bound), so measured again.
    const ul = el.querySelector('ul');
    const rowsHeight = open.length * ALARM_ROW_HEIGHT;
    let room = 0;
    if (ul) ul.style.height = `${rowsHeight}px`;
    for (let i = 0; ul && i < 4; i++) {
      const short = next - (rowsHeight + room - el.clientHeight);
      if (short <= 0) break;
      room += short;
      ul.style.height = `${rowsHeight + room}px`;
    }
    if (room !== slack) setSlack(room);
    el.scrollTop = next;
    // As the browser took it: past the end of a shorter list, it stops at the end.
    heldAt.current = el.scrollTop;
    setScrollTop(el.scrollTop);
    // Held down from the top: back to it once the pointer leaves.
    if (scrollTop <= 0 || heldFromTop) setHeldFromTop(el.scrollTop > 0);
  }, [open]);
  // After the effect above, which needs the start of the commit before.
  useLayoutEffect(() => {
    startShown.current = start;
  });

  /**
   * Folding six alarms or fewer removes "Show fewer": its focus goes to the
   * list (the row the keyboard was on), not to the page.
   */
  const keepFocusOnFold = () => {
    if (open.length <= ALARMS_SHOWN_FOLDED && document.activeElement === toggleButton.current)
      focusAfterRender.current = 'vehicle';
  };
  // Expanded, a list that fits in the folded dock looks the same folded (the
  // same rows in the same places): it folds, so that the alarms that come
  // next come in the folded dock, not in a list expanded for ones dealt
  // with, as it does once every alarm is acknowledged. Not while it is
  // scrolled down from its top (the pointer holding a row while alarms came
  // in above, or the dispatcher's own scrolling): folded, the rows above
  // would have to come into view at once and move the rest. It folds when it
  // is back at its top, where the pointer leaving brings it.
  useLayoutEffect(() => {
    if (!expanded || open.length === 0 || open.length > ALARMS_SHOWN_FOLDED) return;
    // As the layout effect above left it in this same commit.
    if ((viewport.current?.scrollTop ?? 0) > 0) return;
    keepFocusOnFold();
    setExpanded(false);
  }, [open, expanded, scrollTop]);

  useLayoutEffect(() => {
    const column = focusAfterRender.current;
    if (!column) return;
    focusAfterRender.current = null;
    viewport.current
      ?.querySelector<HTMLButtonElement>(
        `[data-alarm-index="${activeIndex}"] [data-column="${column}"]`,
      )
      ?.focus();
  });

  // Rendered with the alarm it was set for (not in the commit that set it).
  useLayoutEffect(() => {
    const to = refocus.current;
    if (!to || active.id !== to.id) return;
    refocus.current = null;
    viewport.current
      ?.querySelector<HTMLButtonElement>(`[data-alarm-id="${to.id}"] [data-column="${to.column}"]`)
      ?.focus();
  });
  useLayoutEffect(() => {
    if (!focusHeading.current || !heading.current) return;
    focusHeading.current = false;
    heading.current.focus();
  });

  if (open.length === 0 && !headingFocused) return null;

  const hidden = open.length - shownCount;
  /** Alarms that came in above while the pointer held a row: shown when it leaves. */
  const heldAbove = expanded ? (heldFromTop ? Math.round(scrollTop / ALARM_ROW_HEIGHT) : 0) : start;
  const first = expanded ? Math.max(0, Math.floor(scrollTop / ALARM_ROW_HEIGHT) - OVERSCAN) : start;
  const last = expanded
    ? Math.min(end, Math.ceil((scrollTop + height) / ALARM_ROW_HEIGHT) + OVERSCAN)
    : end;
  const indices = Array.from({ length: last - first }, (_, i) => first + i);
  // The row with the focus stays in the DOM while it is scrolled out of view,
  // so the focus is not lost to the page (and Tab comes back to it).
  if (activeIndex < first || activeIndex >= last) indices.push(activeIndex);

  /** Moves the keyboard to row `index`, scrolled into view, focusing `column` in it. */
  const moveTo = (index: number, column: Column) => {
    // Folded, up past the first row shown brings the ones held above into view.
    const target = Math.max(0, Math.min(index, end - 1));
    const alarm = open[target];
    if (!alarm) return;
    setActive({ id: alarm.event.id, index: target });
    focusAfterRender.current = column;
    if (!expanded && target < start) setFoldedStart(target);
    const el = viewport.current;
    if (!el || !expanded) return;
    const top = target * ALARM_ROW_HEIGHT;
    let next = el.scrollTop;
    if (top < next) next = top;
    else if (top + ALARM_ROW_HEIGHT > next + (el.clientHeight || height))
      next = top + ALARM_ROW_HEIGHT - (el.clientHeight || height);
    if (next !== el.scrollTop) {
      el.scrollTop = next;
      // Rendered now, not when the scroll event comes: the row must exist to take the focus.
      setScrollTop(next);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const column = (event.target as HTMLElement).dataset.column as Column | undefined;
    if (!column) return;
    const page = Math.max(1, Math.floor(height / ALARM_ROW_HEIGHT) - 1);
    const to: Partial<Record<string, number>> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
      Home: 0,
      End: end - 1,
    };
    const index = to[event.key];
    if (index === undefined) return;
    // The list's keys: not the page's scrolling, nor the next-vehicle shortcut (↓, ↑).
    event.preventDefault();
    moveTo(index, column);
  };

  const acknowledge = (alarm: Alarm, index: number, column: Column) => {
    // Acknowledged from the keyboard (or a click that focused the button): the
    // focus goes to the alarm that takes this one's place, not to the page.
    const hadFocus = viewport.current?.contains(document.activeElement) ?? false;
    const next = open[index + 1] ?? open[index - 1];
    stores.events.getState().acknowledge(alarm.event.id);
    if (!next) return;
    setActive({ id: next.event.id, index: Math.min(index, open.length - 2) });
    if (hadFocus) focusAfterRender.current = column;
  };

  const toggle = () => {
    if (expanded) {
      keepFocusOnFold();
      if (viewport.current) viewport.current.scrollTop = 0;
      setScrollTop(0);
      setHeldFromTop(false);
      setSlack(0);
    }
    setFoldedStart(0);
    setExpanded(!expanded);
  };

  /**
   * The pointer gone (or still for POINTER_HOLD_MS), nothing is about to be
   * clicked: the alarms held above come into view.
   */
  const release = () => {
    if (releaseTimer.current !== undefined) clearTimeout(releaseTimer.current);
    releaseTimer.current = undefined;
    pointerY.current = null;
    setPointerOn(false);
    if (foldedStart !== 0) setFoldedStart(0);
    setSlack(0);
    if (heldFromTop) {
      setHeldFromTop(false);
      if (viewport.current) viewport.current.scrollTop = 0;
      setScrollTop(0);
    }
  };
  releaseLatest.current = release;

  const title = (
    <h2
      ref={heading}
      tabIndex={-1}
      onFocus={() => setHeadingFocused(true)}
      onBlur={() => setHeadingFocused(false)}
    >
      Alarms <span className="count">{open.length}</span>{' '}
      {/* The "Open alarms" filter chip counts these vehicles, not the alarms:
          those in view, so when the fleet picker narrowed it, the dock says
          how many are (it lists the alarms of the others too). */}
      <span className="muted alarm-vehicles" data-testid="alarm-vehicles">
        on {vehicles.total} {vehicles.total === 1 ? 'vehicle' : 'vehicles'}
        {vehicles.inView < vehicles.total &&
          `, ${vehicles.inView === 0 ? 'none' : vehicles.inView} in ${vehicles.view}`}
      </span>
    </h2>
  );
  if (open.length === 0)
    // Same section, header and heading as below: the heading keeps the focus when alarms come.
    return (
      <section className="alarms" aria-label="Alarms" data-testid="alarms">
        <header>{title}</header>
        <p className="muted">No open alarms</p>
      </section>
    );

  return (
    <section className="alarms" aria-label="Alarms" data-testid="alarms">
      <header>
        {title}
        <button
          type="button"
          className="link"
          onClick={() => stores.events.getState().acknowledgeAll()}
          title="Acknowledge all (A)"
        >
          Acknowledge all
        </button>
      </header>
      <div
        ref={viewport}
        className={`alarm-viewport${expanded ? ' expanded' : ''}`}
        onScroll={(e) => {
          const top = e.currentTarget.scrollTop;
          setScrollTop(top);
          // Scrolled by the dispatcher: where the list is now is theirs, not held.
          if (heldFromTop && top !== heldAt.current) {
            setHeldFromTop(false);
            setSlack(0);
          }
        }}
        onPointerMove={(e) => {
          pointerY.current = e.clientY - e.currentTarget.getBoundingClientRect().top;
          if (!pointerOn) setPointerOn(true);
          if (releaseTimer.current !== undefined) clearTimeout(releaseTimer.current);
          releaseTimer.current = setTimeout(() => releaseLatest.current(), POINTER_HOLD_MS);
        }}
        onPointerLeave={release}
        onFocus={(e) => {
          setFocusWithin(true);
          const column = (e.target as HTMLElement).dataset.column as Column | undefined;
          if (column) focusedColumn.current = column;
        }}
        onBlur={(e) => {
          if (e.currentTarget.contains(e.relatedTarget)) return;
          setFocusWithin(false);
          // What the focus kept above comes into view, unless the pointer holds it.
          if (!pointerOn) setFoldedStart(0);
        }}
        onKeyDown={onKeyDown}
        data-testid="alarm-list"
      >
        <ul
          aria-label="Open alarms"
          aria-describedby="alarm-keys"
          style={{ height: shownCount * ALARM_ROW_HEIGHT + (expanded ? slack : 0) }}
        >
          {indices.map((index) => {
            const alarm = open[index];
            if (!alarm) return null;
            const { event } = alarm;
            const text = describeEvent(event);
            const { name: vehicleName, plate: vehiclePlate } = nameVehicle(event.vehicleId);
            const tabIndex = index === activeIndex ? 0 : -1;
            const focused = () => {
              if (active.id !== event.id || active.index !== index)
                setActive({ id: event.id, index });
            };
            return (
              <li
                key={event.id}
                className={`alarm alarm-${event.type}`}
                style={{ top: (index - start) * ALARM_ROW_HEIGHT, height: ALARM_ROW_HEIGHT }}
                aria-posinset={index + 1}
                aria-setsize={open.length}
                data-alarm-index={index}
                data-alarm-id={event.id}
              >
                <span
                  className="alarm-text"
                  title={`${vehicleName}${vehiclePlate ? ` ${vehiclePlate}` : ''} ${text.title} ${text.detail} ${formatTime(event.t)}`}
                >
                  <button
                    type="button"
                    className="link"
                    tabIndex={tabIndex}
                    data-column="vehicle"
                    onFocus={focused}
                    onClick={() => stores.ui.getState().select(event.vehicleId)}
                  >
                    {vehicleName}
                  </button>{' '}
                  {vehiclePlate && (
                    <>
                      <span className="muted alarm-plate">{vehiclePlate}</span>{' '}
                    </>
                  )}
                  <strong>{text.title}</strong> <span className="muted">{text.detail}</span>{' '}
                  <time className="muted">{formatTime(event.t)}</time>
                </span>
                <button
                  type="button"
                  className="icon"
                  aria-label="Acknowledge"
                  tabIndex={tabIndex}
                  data-column="acknowledge"
                  onFocus={focused}
                  onClick={() => acknowledge(alarm, index, 'acknowledge')}
                >
                  ✓
                </button>
              </li>
            );
          })}
        </ul>
      </div>
      {heldAbove > 0 && (
        // Below the list, so that it appearing moves no row.
        <p className="alarm-held" data-testid="alarms-held">
          ↑ {heldAbove} new above,{' '}
          {pointerOn
            ? 'shown when the pointer leaves the list'
            : 'shown by Home or when the focus leaves the list'}
        </p>
      )}
      <p id="alarm-keys" className="sr-only">
        Up and down arrows, Page Up, Page Down, Home and End move between the alarms.
      </p>
      {/* Expanded, it can always be folded: with six or fewer, that is while
          it is scrolled down from its top (folding brings the rows above into view). */}
      {(expanded || open.length > ALARMS_SHOWN_FOLDED) && (
        <button
          ref={toggleButton}
          type="button"
          className="link"
          aria-expanded={expanded}
          onClick={toggle}
        >
          {expanded ? 'Show fewer' : `Show all ${open.length} (${hidden} more)`}
        </button>
      )}
      {dropped > 0 && (
        <p className="muted" data-testid="alarms-dropped">
          {dropped} older, less serious {dropped === 1 ? 'alarm was' : 'alarms were'} dropped: the
          console keeps at most {MAX_OPEN_ALARMS} open alarms. The event log has them all.
        </p>
      )}
    </section>
  );
}

/** The first of the folded rows from `wanted`, moved as little as keeps row `kept` (-1: none) among them. */
function keepShown(wanted: number, kept: number): number {
  if (kept < 0) return wanted;
  return Math.min(Math.max(wanted, kept - ALARMS_SHOWN_FOLDED + 1), kept);
}

/** The first of the folded rows: at most so far down that six are still shown. */
function foldedWindowStart(wanted: number, length: number): number {
  return Math.max(0, Math.min(wanted, length - ALARMS_SHOWN_FOLDED));
}

/**
 * The scroll position that keeps row `anchor` of the list `before` where it
 * was on the screen in the list `after` (rows of ALARM_ROW_HEIGHT, scrolled to
 * `scrollTop`); null when nothing of it is left to hold on to. An anchor
 * that is gone (acknowledged) has its place taken by the next alarm that is
 * still there, as the rows below an acknowledged one move up into its place;
 * with none below, the one above it stays where it was.
 */
export function anchoredScrollTop(
  before: readonly Alarm[],
  after: readonly Alarm[],
  anchor: number,
  scrollTop: number,
): number | null {
  const indexAfter = new Map(after.map((a, i) => [a.event.id, i]));
  const at = (index: number) => indexAfter.get(before[index]?.event.id ?? -1);
  const offset = anchor * ALARM_ROW_HEIGHT - scrollTop;
  for (let i = anchor; i < before.length; i++) {
    const index = at(i);
    if (index !== undefined) return Math.max(0, index * ALARM_ROW_HEIGHT - offset);
  }
  for (let i = anchor - 1; i >= 0; i--) {
    const index = at(i);
    if (index !== undefined)
      return Math.max(0, index * ALARM_ROW_HEIGHT - (i * ALARM_ROW_HEIGHT - scrollTop));
  }
  return null;
}

/**
 * Where alarm `id` of the list `before` is in `after`, or, gone, the alarm
 * that took its place there (the next one still listed, as the rows below
 * move up), else the one above it; undefined when none is left or `id` was
 * not listed.
 */
function takingPlaceOf(
  before: readonly Alarm[],
  after: readonly Alarm[],
  id: number,
): number | undefined {
  const at = before.findIndex((a) => a.event.id === id);
  if (at === -1) return undefined;
  const indexAfter = new Map(after.map((a, i) => [a.event.id, i]));
  for (let i = at; i < before.length; i++) {
    const index = indexAfter.get(before[i]?.event.id ?? -1);
    if (index !== undefined) return index;
  }
  for (let i = at - 1; i >= 0; i--) {
    const index = indexAfter.get(before[i]?.event.id ?? -1);
    if (index !== undefined) return index;
  }
  return undefined;
}
