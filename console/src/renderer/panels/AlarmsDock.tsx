import { useState } from 'react';
import { useConsole, useSlice } from '../app/context';
import { MAX_OPEN_ALARMS, compareAlarms } from '../stores/events-store';
import { describeEvent } from '../history/event-text';
import { formatTime } from './format';

/**
 * Alarms raised while this console watched, until a dispatcher acknowledges
 * them. This is the dock SOS incidents join in the next release: it sits
 * above everything else in the right-hand column. The most serious come
 * first (a vehicle offline or a trouble code above overspeeds); the first few
 * are shown, and the dock expands to list every open alarm.
 */
export const ALARMS_SHOWN_FOLDED = 6;

export function AlarmsDock() {
  const { stores } = useConsole();
  const alarms = useSlice(stores.events, (s) => s.alarms);
  const dropped = useSlice(stores.events, (s) => s.alarmsDropped);
  const [expanded, setExpanded] = useState(false);
  const open = alarms.filter((a) => !a.acknowledged).sort(compareAlarms);
  if (open.length === 0) return null;
  const shown = expanded ? open : open.slice(0, ALARMS_SHOWN_FOLDED);
  const hidden = open.length - shown.length;
  const name = (id: number) => stores.fleet.getState().vehicles.get(id)?.name ?? `Vehicle ${id}`;
  return (
    <section className="alarms" aria-label="Alarms" data-testid="alarms">
      <header>
        <h2>
          Alarms <span className="count">{open.length}</span>
        </h2>
        <button
          type="button"
          className="link"
          onClick={() => stores.events.getState().acknowledgeAll()}
          title="Acknowledge all (A)"
        >
          Acknowledge all
        </button>
      </header>
      <ul>
        {shown.map(({ event }) => {
          const text = describeEvent(event);
          return (
            <li key={event.id} className={`alarm alarm-${event.type}`}>
              <span className="alarm-text">
                <button
                  type="button"
                  className="link"
                  onClick={() => stores.ui.getState().select(event.vehicleId)}
                >
                  {name(event.vehicleId)}
                </button>{' '}
                <strong>{text.title}</strong> <span className="muted">{text.detail}</span>{' '}
                <time className="muted">{formatTime(event.t)}</time>
              </span>
              <button
                type="button"
                className="icon"
                aria-label="Acknowledge"
                onClick={() => stores.events.getState().acknowledge(event.id)}
              >
                ✓
              </button>
            </li>
          );
        })}
      </ul>
      {open.length > ALARMS_SHOWN_FOLDED && (
        <button
          type="button"
          className="link"
          aria-expanded={expanded}
          onClick={() => setExpanded(!expanded)}
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
