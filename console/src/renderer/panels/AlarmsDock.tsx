import { useConsole, useSlice } from '../app/context';
import { describeEvent } from '../history/event-text';
import { formatTime } from './format';

/**
 * Alarms raised while this console watched, until a dispatcher acknowledges
 * them. This is the dock SOS incidents join in the next release: it sits
 * above everything else in the right-hand column.
 */
export function AlarmsDock() {
  const { stores } = useConsole();
  const alarms = useSlice(stores.events, (s) => s.alarms);
  const open = alarms.filter((a) => !a.acknowledged);
  if (open.length === 0) return null;
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
        {open.slice(0, 6).map(({ event }) => {
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
        {open.length > 6 && <li className="muted">and {open.length - 6} more</li>}
      </ul>
    </section>
  );
}
