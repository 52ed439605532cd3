import { useEffect, useMemo, useRef, useState } from 'react';
import { useConsole, useSlice } from '../app/context';
import { EVENT_LABELS, describeEvent } from '../history/event-text';
import { openAlarmsByVehicle } from '../stores/events-store';
import type { VehicleOpenAlarms } from '../stores/events-store';
import { filterVehicles } from '../stores/vehicle-filter';
import { STATE_LABELS, isLastKnown, lastReportAt } from '../stores/vehicle-state';
import { formatAge, formatNumber } from './format';
import { useNow } from './use-now';

const ROW_HEIGHT = 48;
const OVERSCAN = 6;

/**
 * Every vehicle matching the search and filters, by name. Virtualised: only
 * the rows in view exist in the DOM, so 10,000 vehicles cost as much as 20.
 * The list is recomputed when membership or states change (listRevision);
 * the visible rows refresh their speed once a second.
 */
export function VehicleList() {
  const { stores } = useConsole();
  const listRevision = useSlice(stores.fleet, (s) => s.listRevision);
  const filter = useSlice(stores.ui, (s) => s.filter);
  const selectedId = useSlice(stores.ui, (s) => s.selectedId);
  const total = useSlice(stores.fleet, (s) => s.vehicles.size);
  const openAlarms = useSlice(stores.events, (s) => s.openAlarmVehicleIds);
  const alarms = useSlice(stores.events, (s) => s.alarms);
  // Once per change of the alarm list, for the rows' markers, not per row or per second.
  const alarmsByVehicle = useMemo(() => openAlarmsByVehicle(alarms), [alarms]);
  const now = useNow(1000);
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  const ids = useMemo(
    () =>
      filterVehicles(stores.fleet.getState().vehicles.values(), filter, openAlarms).map(
        (v) => v.id,
      ),
    // listRevision: the store changed what lists show; openAlarms: which vehicles have one.
    [stores, filter, listRevision, openAlarms],
  );

  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Keep the selected vehicle in view when it is chosen from the map or by keyboard.
  useEffect(() => {
    const el = viewport.current;
    const index = selectedId === null ? -1 : ids.indexOf(selectedId);
    if (!el || index === -1) return;
    const top = index * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight)
      el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }, [selectedId, ids]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(ids.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const vehicles = stores.fleet.getState().vehicles;

  return (
    <div className="vehicle-list">
      <div className="list-header">
        <span>
          {ids.length === total ? `${total} vehicles` : `${ids.length} of ${total} vehicles`}
        </span>
        {(filter.text || filter.states.size > 0) && (
          <button
            type="button"
            className="link"
            onClick={() => stores.ui.getState().clearFilter()}
            title="Clear (0)"
          >
            Clear filters
          </button>
        )}
      </div>
      <div
        ref={viewport}
        className="list-viewport"
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        role="listbox"
        aria-label="Vehicles"
        aria-activedescendant={selectedId === null ? undefined : `vehicle-${selectedId}`}
        tabIndex={0}
        data-testid="vehicle-list"
      >
        <div style={{ height: ids.length * ROW_HEIGHT, position: 'relative' }}>
          {ids.slice(first, last).map((id, i) => {
            const v = vehicles.get(id);
            if (!v) return null;
            const selected = id === selectedId;
            const vehicleAlarms = alarmsByVehicle.get(id);
            return (
              <div
                key={id}
                id={`vehicle-${id}`}
                role="option"
                aria-selected={selected}
                data-vehicle-id={id}
                data-state={v.state}
                className={`vehicle-row ${selected ? 'selected' : ''}`}
                style={{ top: (first + i) * ROW_HEIGHT, height: ROW_HEIGHT }}
                onClick={() => stores.ui.getState().select(selected ? null : id)}
              >
                <span className={`state-dot state-${v.state}`} title={STATE_LABELS[v.state]} />
                <span className="vehicle-name">{v.name}</span>
                {vehicleAlarms && <OpenAlarmBadge alarms={vehicleAlarms} />}
                <span className="vehicle-plate muted">{v.plate ?? ''}</span>
                <span className="vehicle-meta muted">
                  {v.driver ? `${v.driver.name} · ` : ''}
                  {v.state === 'offline'
                    ? `seen ${formatAge(lastReportAt(v), now)}`
                    : isLastKnown(v, now)
                      ? // Silent, not yet offline: its speed is the last known, with its age.
                        `last known ${formatNumber(v.position?.speedKmh, 0)} km/h · ${formatAge(lastReportAt(v), now)}`
                      : `${formatNumber(v.position?.speedKmh, 0)} km/h · ${STATE_LABELS[v.state].toLowerCase()}`}
                </span>
              </div>
            );
          })}
        </div>
        {ids.length === 0 && (
          <p className="muted empty">{total === 0 ? 'No vehicles yet.' : 'No vehicle matches.'}</p>
        )}
      </div>
    </div>
  );
}

/**
 * Why a vehicle is under the "Open alarms" chip, shown whether the chip is
 * on or not: its most serious open alarm (the one the dock lists first), and
 * how many more it has.
 */
function OpenAlarmBadge({ alarms }: { alarms: VehicleOpenAlarms }) {
  const { count, first } = alarms;
  const title = describeEvent(first.event).title;
  const label =
    count === 1 ? `Open alarm: ${title}` : `${count} open alarms: ${title} and ${count - 1} more`;
  return (
    <span
      className="badge state-alarm alarm-badge"
      role="img"
      aria-label={label}
      title={label}
      data-testid="open-alarm-badge"
    >
      <span aria-hidden="true">⚠</span> {EVENT_LABELS[first.event.type]}
      {count > 1 && ` +${count - 1}`}
    </span>
  );
}
