import { useConsole, useSlice } from '../app/context';
import { EventLog } from '../history/EventLog';
import { HistoryPanel } from '../history/HistoryPanel';
import type { PanelTab } from '../stores/ui-store';
import { STATE_LABELS } from '../stores/vehicle-state';
import { LivePanel } from './LivePanel';
import { useToday } from './use-today';

const TABS: { id: PanelTab; label: string; key: string }[] = [
  { id: 'live', label: 'Live', key: 'L' },
  { id: 'history', label: 'History', key: 'H' },
  { id: 'events', label: 'Events', key: 'E' },
];

/** The right-hand panel: the selected vehicle (live, history) or the fleet's event log. */
export function SidePanel() {
  const { stores } = useConsole();
  const selectedId = useSlice(stores.ui, (s) => s.selectedId);
  const tab = useSlice(stores.ui, (s) => s.panelTab);
  const follow = useSlice(stores.ui, (s) => s.follow);
  const replayGap = useSlice(stores.events, (s) => s.replayGap !== null);
  // Moves on at local midnight: "today" in a console left open overnight is the new day.
  const today = useToday();
  const vehicle = useSlice(stores.fleet, (s) =>
    selectedId === null ? undefined : s.vehicles.get(selectedId),
  );
  // Saved with the rest of the layout (app/layout-keeper.ts).
  const setTab = (next: PanelTab) => stores.ui.getState().setPanelTab(next);
  const shownTab = vehicle ? tab : 'events';
  // The notice sits in the fleet's log: while another tab is open, the log's tab says there is one.
  const markEvents = replayGap && shownTab !== 'events';

  return (
    <div className="side-panel-body" data-testid="side-panel">
      {vehicle && (
        <header className="vehicle-header">
          <div>
            <h2 data-testid="vehicle-title">{vehicle.name}</h2>
            <span className={`badge state-${vehicle.state}`}>
              {STATE_LABELS[vehicle.state]}
            </span>{' '}
            <span className="muted">{vehicle.plate ?? ''}</span>
          </div>
          <div className="header-actions">
            <button
              type="button"
              className={follow ? 'on' : 'secondary'}
              aria-pressed={follow}
              onClick={() => stores.ui.getState().setFollow(!follow)}
              title="Follow on the map (F)"
            >
              Follow
            </button>
            <button
              type="button"
              className="icon"
              onClick={() => stores.ui.getState().select(null)}
              aria-label="Close vehicle"
              title="Close (Esc)"
            >
              ×
            </button>
          </div>
        </header>
      )}
      <div className="tabs" role="tablist">
        {TABS.filter((t) => vehicle || t.id === 'events').map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={shownTab === t.id}
            className={shownTab === t.id ? 'on' : ''}
            onClick={() => setTab(t.id)}
            title={
              t.id === 'events' && markEvents
                ? `${t.label} (${t.key}): not every missed event is listed`
                : `${t.label} (${t.key})`
            }
          >
            {t.id === 'events' && vehicle ? 'Fleet events' : t.label}
            {t.id === 'events' && markEvents && (
              <span className="warn" aria-hidden="true" data-testid="replay-gap-marker">
                {' '}
                ⚠
              </span>
            )}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel">
        {vehicle && shownTab === 'live' && <LivePanel vehicle={vehicle} />}
        {vehicle && shownTab === 'history' && <HistoryPanel vehicle={vehicle} />}
        {shownTab === 'events' && <EventLog scope={{ day: today }} title="Fleet events today" />}
        {!vehicle && selectedId !== null && (
          <p className="muted">This vehicle is no longer visible.</p>
        )}
      </div>
    </div>
  );
}
