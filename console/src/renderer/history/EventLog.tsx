import { useEffect, useMemo, useRef, useState } from 'react';
import { EVENT_TYPES } from '@fleetline/protocol';
import type { EventType, FleetEvent } from '@fleetline/protocol';
import { useConsole, useSlice } from '../app/context';
import { errorMessage } from '../api/errors';
import { useReloadWhenLive } from '../app/use-reload-when-live';
import { useVehicleNamer } from '../app/vehicle-names';
import { formatDateTime, formatTime } from '../panels/format';
import { dayRange, localDay } from '../stores/history-store';
import { csvFile, eventsCsv, exportFileName } from './csv';
import { EVENT_LABELS, describeEvent } from './event-text';
import { allEvents } from './export-data';
import { ReplayGapNotice } from './ReplayGapNotice';

const PAGE = 200;
/** Live events an open log keeps after the live list dropped them; beyond, it pages from the server. */
const MAX_KEPT_EVENTS = 5000;

/** Filter groups a dispatcher thinks in, rather than twelve raw types. */
export const EVENT_GROUPS: { label: string; types: EventType[] }[] = [
  { label: 'Overspeed', types: ['overspeed'] },
  { label: 'Online / offline', types: ['device_online', 'device_offline'] },
  { label: 'Ignition', types: ['ignition_on', 'ignition_off'] },
  { label: 'Trouble codes', types: ['dtc_new'] },
  { label: 'Trips', types: ['trip_start', 'trip_end'] },
  { label: 'Driving', types: ['idle_start', 'idle_end', 'harsh_acceleration', 'harsh_braking'] },
];

export interface EventScope {
  /** Omitted: every vehicle the user may see. */
  vehicleId?: number;
  day: string;
}

/**
 * The event log: stored events of a day (from the server, newest first, with
 * older pages on demand) joined by live ones as they arrive, filtered by
 * kind, exportable as CSV. The fleet's log also says when a reconnect
 * replayed only the newest missed events, and loads the earlier ones.
 */
export function EventLog({
  scope,
  title,
  maxKept = MAX_KEPT_EVENTS,
}: {
  scope: EventScope;
  title: string;
  /** How many live events the log keeps after the live list dropped them. */
  maxKept?: number;
}) {
  const { api, platform, stores } = useConsole();
  const [groups, setGroups] = useState<ReadonlySet<string>>(new Set());
  const [stored, setStored] = useState<FleetEvent[]>([]);
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  /** Why the last "Older events" page did not come: the rows shown stay, the button stays. */
  const [olderError, setOlderError] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [exportState, setExportState] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<{ message: string; failed: boolean } | null>(null);
  const [jumpTo, setJumpTo] = useState<number | null>(null);
  /**
   * Live events this log has shown, kept when the capped live list drops
   * them: a log left open through more than its length must not show a
   * hole between them and the stored page below.
   */
  const [kept, setKept] = useState<ReadonlyMap<number, FleetEvent>>(new Map());
  const list = useRef<HTMLOListElement>(null);
  const liveEvents = useSlice(stores.events, (s) => s.events);

  const types = useMemo(
    () => EVENT_GROUPS.filter((g) => groups.has(g.label)).flatMap((g) => g.types),
    [groups],
  );
  const { from, to } = dayRange(scope.day);
  // Loaded again when the connection comes back after a failure.
  const reload = useReloadWhenLive(status === 'error');

  useEffect(() => {
    let cancelled = false;
    setStatus('loading');
    setKept(new Map());
    api.events({ vehicleId: scope.vehicleId, from, to, types, limit: PAGE }).then(
      (events) => {
        if (cancelled) return;
        setStored(events);
        setHasMore(events.length === PAGE);
        setStatus('ready');
      },
      (err: unknown) => {
        if (cancelled) return;
        setError(errorMessage(err));
        setStatus('error');
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, scope.vehicleId, from, to, types, reload]);

  const liveShown = useMemo(() => {
    const wanted = new Set<EventType>(types.length ? types : EVENT_TYPES);
    return liveEvents.filter(
      (e) =>
        (scope.vehicleId === undefined || e.vehicleId === scope.vehicleId) &&
        e.t >= from &&
        e.t < to &&
        wanted.has(e.type),
    );
  }, [liveEvents, types, scope.vehicleId, from, to]);

  useEffect(() => {
    setKept((previous) => {
      if (liveShown.every((e) => previous.has(e.id))) return previous;
      const next = new Map(previous);
      for (const e of liveShown) next.set(e.id, e);
      return next;
    });
  }, [liveShown]);

  useEffect(() => {
    if (kept.size <= maxKept) return;
    // Past its bound the log lets its oldest rows go, from the bottom, so
    // that it stays one unbroken run: the stored page below goes too, and
    // "Older events" pages on from the oldest row still shown.
    const newest = [...kept.values()].sort((a, b) => b.id - a.id).slice(0, maxKept);
    setKept(new Map(newest.map((e) => [e.id, e])));
    setStored([]);
    setHasMore(true);
  }, [kept, maxKept]);

  const shown = useMemo(() => {
    const byId = new Map<number, FleetEvent>();
    for (const e of stored) byId.set(e.id, e);
    for (const e of kept.values()) byId.set(e.id, e);
    for (const e of liveShown) byId.set(e.id, e);
    return [...byId.values()].sort((a, b) => b.t - a.t || b.id - a.id);
  }, [stored, kept, liveShown]);

  const loadOlder = async () => {
    const oldest = shown.reduce((min, e) => Math.min(min, e.id), Infinity);
    if (!Number.isFinite(oldest)) return;
    setOlderError(null);
    try {
      const older = await api.events({
        vehicleId: scope.vehicleId,
        from,
        to,
        types,
        before: oldest,
        limit: PAGE,
      });
      setStored((s) => [...s, ...older]);
      setHasMore(older.length === PAGE);
    } catch (err) {
      setOlderError(errorMessage(err));
    }
  };

  /**
   * After a truncated replay: the page of events just below what the live
   * list holds, in place of what was loaded before the outage, so the log
   * runs on without a hole and "Older events" pages on from there.
   */
  const showEarlier = async () => {
    const gap = stores.events.getState().replayGap;
    if (!gap) return;
    // The live list is capped: newer events may have pushed the oldest replayed ones out.
    const oldestLive = liveEvents.at(-1)?.id ?? gap.oldestReplayedId;
    try {
      const page = await api.events({
        vehicleId: scope.vehicleId,
        from,
        to,
        types,
        before: Math.max(gap.oldestReplayedId, oldestLive),
        limit: PAGE,
      });
      setStored(page);
      setHasMore(page.length === PAGE);
      setEarlier(page.length ? null : { message: 'No earlier events on this day.', failed: false });
      setJumpTo(page[0]?.id ?? null);
      stores.events.getState().dismissReplayGap();
    } catch (err) {
      setEarlier({
        message: `Earlier events could not be loaded: ${errorMessage(err)}`,
        failed: true,
      });
    }
  };
  // The earlier events land below the replayed ones: bring the first of them into view.
  useEffect(() => {
    if (jumpTo === null) return;
    list.current
      ?.querySelector(`[data-event-id="${jumpTo}"]`)
      ?.scrollIntoView?.({ block: 'start' });
    setJumpTo(null);
  }, [jumpTo]);

  const nameVehicle = useVehicleNamer();
  const vehicleName = (id: number) => nameVehicle(id).name;
  // The export holds every event of the day and kinds chosen, fetched page by
  // page as the replay's export does, not only the rows loaded so far.
  const exportAll = async () => {
    setExportState('Exporting events…');
    try {
      const subject = scope.vehicleId === undefined ? 'fleet' : vehicleName(scope.vehicleId);
      const fetched = await allEvents(api, scope.vehicleId, from, to, { types });
      // Live events that arrived while the pages were fetched are in the log: keep them too.
      const byId = new Map<number, FleetEvent>();
      for (const e of fetched) byId.set(e.id, e);
      for (const e of shown) byId.set(e.id, e);
      const events = [...byId.values()].sort((a, b) => b.t - a.t || b.id - a.id);
      const where = await platform.exportFile(
        csvFile(exportFileName(subject, 'events', scope.day), eventsCsv(events, vehicleName)),
      );
      setExportState(
        where
          ? `Saved ${where}: all ${events.length.toLocaleString()} events of the day${types.length ? ' of the kinds chosen' : ''}`
          : 'Export cancelled',
      );
    } catch (err) {
      setExportState(`Export failed: ${errorMessage(err)}`);
    }
  };

  const toggle = (label: string) =>
    setGroups((g) => {
      const next = new Set(g);
      if (next.has(label)) next.delete(label);
      else next.add(label);
      return next;
    });

  return (
    <section className="event-log" aria-label={title}>
      <h3>
        {title}
        <button
          type="button"
          className="link"
          onClick={() => void exportAll()}
          disabled={shown.length === 0}
        >
          Export CSV
        </button>
      </h3>
      <div className="chips" role="group" aria-label="Event kinds">
        {EVENT_GROUPS.map((g) => (
          <button
            key={g.label}
            type="button"
            className={`chip ${groups.has(g.label) ? 'on' : ''}`}
            aria-pressed={groups.has(g.label)}
            onClick={() => toggle(g.label)}
          >
            {g.label}
          </button>
        ))}
      </div>
      {scope.vehicleId === undefined && (
        <ReplayGapNotice onShowEarlier={() => void showEarlier()} />
      )}
      {earlier && (
        <p className={earlier.failed ? 'error' : 'muted'} role="status">
          {earlier.message}
        </p>
      )}
      {status === 'loading' && <p className="muted">Loading events…</p>}
      {status === 'error' && <p className="error">Events could not be loaded: {error}</p>}
      {status === 'ready' && shown.length === 0 && <p className="muted">No events.</p>}
      <ol className="events" data-testid="event-log" ref={list}>
        {shown.map((e) => {
          const text = describeEvent(e);
          return (
            <li key={e.id} className={`event event-${e.type}`} data-event-id={e.id}>
              <time dateTime={new Date(e.t).toISOString()} title={formatDateTime(e.t)}>
                {scope.day === localDay(e.t) ? formatTime(e.t) : formatDateTime(e.t)}
              </time>
              {scope.vehicleId === undefined && (
                <button
                  type="button"
                  className="link vehicle-link"
                  onClick={() => stores.ui.getState().select(e.vehicleId)}
                >
                  {vehicleName(e.vehicleId)}
                </button>
              )}
              <span className="event-title">{text.title || EVENT_LABELS[e.type]}</span>
              {text.detail && <span className="muted"> {text.detail}</span>}
              {e.late && (
                <span className="badge" title="Reported late, from a backlog after an outage">
                  late
                </span>
              )}
            </li>
          );
        })}
      </ol>
      {olderError && (
        <p className="error" role="status">
          Older events could not be loaded: {olderError}
        </p>
      )}
      {hasMore && (
        <button type="button" className="secondary" onClick={() => void loadOlder()}>
          Older events
        </button>
      )}
      {exportState && (
        <p className="muted" role="status">
          {exportState}
        </p>
      )}
    </section>
  );
}
