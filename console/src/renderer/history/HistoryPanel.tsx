import { useEffect, useState } from 'react';
import { useConsole, useSlice } from '../app/context';
import { useReloadWhenLive } from '../app/use-reload-when-live';
import { formatDuration } from './event-text';
import { dayReplayRange, loadReplay, loadTrips, tripRange } from './history-actions';
import { ReplayControls } from './ReplayControls';
import { EventLog } from './EventLog';
import { oldestDay, retentionNote } from './retention';
import type { Retention } from './retention';
import { formatNumber, formatTime } from '../panels/format';
import { useToday } from '../panels/use-today';
import { dayRange, localDay } from '../stores/history-store';
import type { VehicleRecord } from '../stores/fleet-store';

/**
 * A vehicle's past: the trips of a chosen day, the replay of one (or of
 * the whole day) with a time slider and the readings along it, CSV export,
 * and the vehicle's event log for that day.
 */
export function HistoryPanel({ vehicle }: { vehicle: VehicleRecord }) {
  const { api, stores } = useConsole();
  const history = stores.history;
  const day = useSlice(history, (s) => s.day);
  const trips = useSlice(history, (s) => s.trips);
  const tripsStatus = useSlice(history, (s) => s.tripsStatus);
  const tripsError = useSlice(history, (s) => s.tripsError);
  const range = useSlice(history, (s) => s.range);

  useEffect(() => {
    history.getState().setVehicle(vehicle.id);
  }, [history, vehicle.id]);
  // Trips and the replay are loaded again when the connection comes back after a failure.
  const tripsReload = useReloadWhenLive(tripsStatus === 'error');
  useEffect(() => {
    void loadTrips(api, history);
  }, [api, history, vehicle.id, day, tripsReload]);
  const trackFailed = useSlice(history, (s) => s.trackStatus === 'error');
  const trackReload = useReloadWhenLive(trackFailed);
  useEffect(() => {
    const { range: failed, trackStatus } = history.getState();
    if (trackReload > 0 && failed && trackStatus === 'error') void loadReplay(api, history, failed);
  }, [api, history, trackReload]);
  // How long the server keeps history: days before that hold nothing. Asked
  // again whenever the connection comes back, not only after a failed ask:
  // the server may have been restarted with another retention meanwhile.
  const [retention, setRetention] = useState<Retention | null>(null);
  const retentionReload = useReloadWhenLive(true);
  useEffect(() => {
    let current = true;
    api.config().then(
      (config) => current && setRetention(config.retention ?? null),
      () => undefined, // unknown: what was known stays (none: no limit is shown)
    );
    return () => {
      current = false;
    };
  }, [api, retentionReload]);

  const shiftDay = (days: number) => {
    const { from } = dayRange(day);
    history.getState().setDay(localDay(from + days * 86_400_000 + 3_600_000 * 12));
  };
  // The day picker's last day moves on at midnight too.
  const today = useToday();
  const oldest = oldestDay(retention, Date.now());
  const note = retentionNote(retention);

  return (
    <div className="history-panel">
      <div className="day-picker">
        <button
          type="button"
          onClick={() => shiftDay(-1)}
          disabled={oldest !== null && day <= oldest}
          aria-label="Previous day"
        >
          ‹
        </button>
        <input
          type="date"
          value={day}
          {...(oldest ? { min: oldest } : {})}
          max={today}
          aria-label="Day"
          onChange={(e) => e.target.value && history.getState().setDay(e.target.value)}
        />
        <button
          type="button"
          onClick={() => shiftDay(1)}
          disabled={day >= today}
          aria-label="Next day"
        >
          ›
        </button>
      </div>
      {note && (
        <p className="muted retention-note" data-testid="retention-note">
          {note}
        </p>
      )}

      <section aria-labelledby="trips-heading">
        <h3 id="trips-heading">Trips</h3>
        {tripsStatus === 'loading' && <p className="muted">Loading trips…</p>}
        {tripsStatus === 'error' && (
          <p className="error">Trips could not be loaded: {tripsError}</p>
        )}
        {tripsStatus === 'ready' && trips.length === 0 && (
          <p className="muted">No trips reported on this day.</p>
        )}
        <ul className="trip-list" data-testid="trips">
          {trips.map((trip, i) => {
            const r = tripRange(vehicle.id, trip, Date.now());
            const active = range !== null && r !== null && range.from === r.from;
            return (
              <li key={`${trip.startT ?? 'x'}-${i}`} className={active ? 'active' : ''}>
                <button
                  type="button"
                  disabled={!r}
                  onClick={() => r && void loadReplay(api, history, r)}
                >
                  <span className="trip-time">
                    {formatTime(trip.startT)} – {trip.endT ? formatTime(trip.endT) : 'ongoing'}
                  </span>
                  <span className="muted">
                    {trip.durationS !== null ? formatDuration(trip.durationS) : ''}
                    {trip.distanceKm !== null ? ` · ${formatNumber(trip.distanceKm, 1)} km` : ''}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        <button
          type="button"
          className="secondary"
          onClick={() => void loadReplay(api, history, dayReplayRange(vehicle.id, day, Date.now()))}
        >
          Replay the whole day
        </button>
      </section>

      {range && <ReplayControls vehicle={vehicle} />}

      <EventLog scope={{ vehicleId: vehicle.id, day }} title="Events of the day" />
    </div>
  );
}
