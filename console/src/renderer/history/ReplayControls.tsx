import { useEffect, useMemo, useState } from 'react';
import { useConsole, useSlice } from '../app/context';
import { errorMessage } from '../api/errors';
import { formatNumber, formatSpan, formatTime, readingMeta, sortReadings } from '../panels/format';
import { Sparkline } from '../panels/Sparkline';
import {
  READING_CURRENT_MIN_MS,
  REPLAY_SPEEDS,
  localDay,
  positionAt,
  readingAt,
  readingCurrentForMs,
} from '../stores/history-store';
import type { ReplaySpeed } from '../stores/history-store';
import type { VehicleRecord } from '../stores/fleet-store';
import { csvFile, eventsCsv, exportFileName, positionsCsv, readingsCsv } from './csv';
import { allEvents, allPositions, allReadings } from './export-data';

/** The replay clock ticks this often while playing (the map cursor moves with it). */
const TICK_MS = 100;

export function ReplayControls({ vehicle }: { vehicle: VehicleRecord }) {
  const { api, platform, stores } = useConsole();
  const history = stores.history;
  const range = useSlice(history, (s) => s.range);
  const track = useSlice(history, (s) => s.track);
  const readings = useSlice(history, (s) => s.readings);
  const readingsBefore = useSlice(history, (s) => s.readingsBefore);
  const status = useSlice(history, (s) => s.trackStatus);
  const error = useSlice(history, (s) => s.trackError);
  const downsampled = useSlice(history, (s) => s.downsampled);
  const trackGapMs = useSlice(history, (s) => s.trackGapMs);
  const cursorT = useSlice(history, (s) => s.cursorT);
  const playing = useSlice(history, (s) => s.playing);
  const speed = useSlice(history, (s) => s.speed);
  const [exportState, setExportState] = useState<string | null>(null);
  // Once per replay, not on every tick of its clock. The reading from before
  // the start counts: a slow series has few of its own in a short trip.
  const currentFor = useMemo(
    () =>
      new Map<string, number>(
        readings.map((s) => {
          const before = readingsBefore.find((x) => x.pid === s.pid && x.part === s.part);
          const last = before?.points.at(-1);
          return [
            `${s.pid}:${s.part}`,
            readingCurrentForMs(last ? [last, ...s.points] : s.points),
          ] as const;
        }),
      ),
    [readings, readingsBefore],
  );

  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      history.getState().advance((now - last) * history.getState().speed);
      last = now;
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [history, playing]);

  if (!range) return null;
  const first = track[0]?.t ?? range.from;
  const last = track.at(-1)?.t ?? range.to;
  const at = cursorT === null ? null : positionAt(track, cursorT, trackGapMs);

  // Exports hold every value recorded in the range, fetched page by page: never the
  // thinned track the replay draws (history/export-data.ts).
  const exportCsv = async (kind: 'positions' | 'readings' | 'events') => {
    setExportState(`Exporting ${kind}…`);
    try {
      let content: string;
      let rows: number;
      if (kind === 'positions') {
        const points = await allPositions(api, vehicle.id, range.from, range.to);
        content = positionsCsv(vehicle.name, points);
        rows = points.length;
      } else if (kind === 'readings') {
        const series = await allReadings(api, vehicle.id, range.from, range.to);
        content = readingsCsv(vehicle.name, series);
        rows = series.reduce((n, s) => n + s.points.length, 0);
      } else {
        const events = await allEvents(api, vehicle.id, range.from, range.to);
        content = eventsCsv(
          events,
          (id) => stores.fleet.getState().vehicles.get(id)?.name ?? `#${id}`,
        );
        rows = events.length;
      }
      const where = await platform.exportFile(
        csvFile(exportFileName(vehicle.name, kind, localDay(range.from)), content),
      );
      setExportState(
        where
          ? `Saved ${where}: all ${rows.toLocaleString()} ${kind} recorded in the range`
          : 'Export cancelled',
      );
    } catch (err) {
      setExportState(`Export failed: ${errorMessage(err)}`);
    }
  };

  return (
    <section className="replay" aria-labelledby="replay-heading" data-testid="replay">
      <h3 id="replay-heading">
        Replay <span className="muted">{range.label}</span>
        <button type="button" className="link" onClick={() => history.getState().closeReplay()}>
          Close
        </button>
      </h3>
      {status === 'loading' && <p className="muted">Loading the track…</p>}
      {status === 'error' && <p className="error">The track could not be loaded: {error}</p>}
      {status === 'ready' && track.length === 0 && (
        <p className="muted">No positions in this range.</p>
      )}
      {status === 'ready' && track.length > 0 && (
        <>
          <div className="replay-bar">
            <button
              type="button"
              onClick={() => history.getState().setPlaying(!playing)}
              aria-label={playing ? 'Pause replay' : 'Play replay'}
              title="Space"
            >
              {playing ? '❚❚' : '▶'}
            </button>
            <input
              type="range"
              min={first}
              max={last}
              step={1000}
              value={cursorT ?? first}
              onChange={(e) => history.getState().seek(Number(e.target.value))}
              aria-label="Replay time"
              aria-valuetext={formatTime(cursorT)}
            />
            <select
              value={speed}
              onChange={(e) => history.getState().setSpeed(Number(e.target.value) as ReplaySpeed)}
              aria-label="Replay speed"
            >
              {REPLAY_SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}×
                </option>
              ))}
            </select>
          </div>
          <p className="replay-time" data-testid="replay-time">
            {formatTime(cursorT)} · {formatNumber(at?.speedKmh, 0)} km/h · {track.length} positions
            {downsampled ? ' (thinned for the replay; exports hold every one)' : ''}
          </p>
          <table className="readings replay-readings" data-testid="replay-readings">
            <tbody>
              {sortReadings(
                readings.map((s) => ({ pid: s.pid, part: s.part, unit: s.unit, t: 0, value: 0 })),
              ).map((r) => {
                const s = readings.find((x) => x.pid === r.pid && x.part === r.part);
                if (!s) return null;
                const meta = readingMeta(s.pid, s.part, s.unit);
                const key = `${s.pid}:${s.part}`;
                const reading = cursorT === null ? null : readingAt(s.points, cursorT);
                // Before the series' first reading in the range: the one it had just before.
                const before =
                  reading === null
                    ? readingsBefore
                        .find((x) => x.pid === s.pid && x.part === s.part)
                        ?.points.at(-1)
                    : undefined;
                const shown = reading ?? before ?? null;
                // Read longer ago than the series is read, it is not the value at the
                // replay's time: said as the live panel says a last known value.
                const age = shown === null || cursorT === null ? 0 : cursorT - shown.t;
                const old = age > (currentFor.get(key) ?? READING_CURRENT_MIN_MS);
                return (
                  <tr key={key}>
                    <th scope="row">{meta.name}</th>
                    <td className={`value${old ? ' muted' : ''}`}>
                      {shown === null ? (
                        <span className="muted">no reading yet</span>
                      ) : (
                        <>
                          {formatNumber(shown.value, meta.digits)}{' '}
                          <span className="unit">{meta.unit}</span>
                          {(before || old) && (
                            // Under the value, on a line of its own.
                            <span className="muted reading-note">
                              {' '}
                              {before && (
                                <span title="The latest reading before the replay's start">
                                  read {formatTime(before.t)}
                                </span>
                              )}
                              {before && old && ', '}
                              {old && (
                                <span
                                  data-testid="reading-age"
                                  title={`Read at ${formatTime(shown.t)}, ${formatSpan(age)} before the replay's time: the last reading until then`}
                                >
                                  {formatSpan(age)} old (last known)
                                </span>
                              )}
                            </span>
                          )}
                        </>
                      )}
                    </td>
                    <td className="chart">
                      <Sparkline points={s.points} label={meta.name} cursorT={cursorT} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <div className="export">
        <span>Export CSV:</span>
        <button
          type="button"
          disabled={track.length === 0}
          onClick={() => void exportCsv('positions')}
        >
          Positions
        </button>
        <button
          type="button"
          disabled={readings.length === 0}
          onClick={() => void exportCsv('readings')}
        >
          Readings
        </button>
        <button type="button" onClick={() => void exportCsv('events')}>
          Events
        </button>
      </div>
      {exportState && (
        <p className="muted" role="status" data-testid="export-status">
          {exportState}
        </p>
      )}
    </section>
  );
}
