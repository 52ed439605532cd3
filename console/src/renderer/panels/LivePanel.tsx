import { useEffect, useState } from 'react';
import { describeTroubleCode } from '@fleetline/protocol';
import type { DtcState, GpsReceiverState, ObdLinkState, ReadingState } from '@fleetline/protocol';
import { useConsole, useSlice } from '../app/context';
import { errorMessage } from '../api/errors';
import { useReloadWhenLive } from '../app/use-reload-when-live';
import { readingKey } from '../stores/fleet-store';
import { isLastKnown, lastReportAt } from '../stores/vehicle-state';
import type { ReadingKey, SeriesPoint, VehicleRecord } from '../stores/fleet-store';
import { formatAge, formatNumber, formatTime, readingMeta, sortReadings } from './format';
import { Sparkline } from './Sparkline';
import { useNow } from './use-now';

/** How far back the small charts reach when a vehicle is opened. */
export const CHART_WINDOW_MS = 15 * 60_000;

/** A GPS fix older than this is shown as stale in the GPS health block. */
const FIX_STALE_MS = 60_000;

/**
 * The selected vehicle now: identity, GPS and device health, every OBD-II
 * reading it reports with a small chart of the last minutes, and its
 * trouble codes with descriptions.
 */
export function LivePanel({ vehicle }: { vehicle: VehicleRecord }) {
  const now = useNow();
  const { series, error: chartError } = useWatchedSeries(vehicle.id);
  const fleets = useSlice(useConsole().stores.fleet, (s) => s.fleets);
  const fleetNames = vehicle.fleetIds.map(
    (id) => fleets.find((f) => f.id === id)?.name ?? `#${id}`,
  );

  const lastKnown = isLastKnown(vehicle, now);
  const lastReport = lastReportAt(vehicle);

  return (
    <div className={`live-panel ${lastKnown ? 'last-known' : ''}`}>
      {lastKnown && (
        // No live region: the age in it changes every second.
        <p className="warn" data-testid="last-known">
          {vehicle.online ? 'Silent' : 'Offline'}: last report{' '}
          {lastReport === null
            ? 'never'
            : `${formatAge(lastReport, now)} (${formatTime(lastReport)})`}
          . The values below are the last known, not live.
        </p>
      )}
      <section aria-labelledby="identity-heading">
        <h3 id="identity-heading">Vehicle</h3>
        <dl className="facts">
          <dt>Driver</dt>
          <dd data-testid="driver">{vehicle.driver?.name ?? 'none assigned'}</dd>
          <dt>Plate</dt>
          <dd>{vehicle.plate ?? '—'}</dd>
          <dt>VIN</dt>
          <dd className="mono" data-testid="vin">
            {vehicle.vin ?? 'not reported'}
          </dd>
          <dt>Fleets</dt>
          <dd>{fleetNames.join(', ') || '—'}</dd>
        </dl>
      </section>

      <GpsHealth vehicle={vehicle} now={now} lastKnown={lastKnown} />
      <DeviceHealth vehicle={vehicle} now={now} lastKnown={lastKnown} />

      <section aria-labelledby="readings-heading">
        <h3 id="readings-heading">OBD-II readings</h3>
        {chartError && (
          <p className="error" role="status" data-testid="chart-error">
            The charts&apos; last {CHART_WINDOW_MS / 60_000} minutes could not be loaded (
            {chartError}); they show live values only.
          </p>
        )}
        {vehicle.readings.length === 0 ? (
          <p className="muted">No readings from this vehicle yet.</p>
        ) : (
          <table className="readings" data-testid="readings">
            <tbody>
              {sortReadings(vehicle.readings).map((r) => (
                <ReadingRow
                  key={readingKey(r.pid, r.part)}
                  reading={r}
                  points={series?.get(readingKey(r.pid, r.part))}
                  now={now}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>

      <TroubleCodes dtcs={vehicle.dtcs} />
    </div>
  );
}

/** What the companion says about its OBD-II adapter, and whether that needs a look. */
const OBD_LINK_TEXT: Record<ObdLinkState, { text: string; warn: boolean }> = {
  polling: { text: 'reading the vehicle', warn: false },
  ignition_off: { text: 'adapter answers, vehicle does not (ignition off)', warn: false },
  connecting: { text: 'connecting to the adapter', warn: false },
  unreachable: { text: 'adapter not reachable (unplugged or failing)', warn: true },
  disabled: { text: 'no adapter configured', warn: false },
};

/** What the companion says about its GPS receiver. */
const GPS_RECEIVER_TEXT: Record<GpsReceiverState, { text: string; warn: boolean }> = {
  fix: { text: 'has a fix', warn: false },
  no_fix: { text: 'talking, no fix', warn: true },
  connecting: { text: 'connecting', warn: false },
  silent: { text: 'connected but silent', warn: true },
  unreachable: { text: 'not reachable (unplugged or failing)', warn: true },
  disabled: { text: 'no receiver configured', warn: false },
};

/** More waiting than this is minutes of data not yet at the server: worth a look. */
const BACKLOG_WARN = 1000;

/** A health section of the panel: the vehicle, the clock, and whether its values are only last known. */
interface HealthSectionProps {
  vehicle: VehicleRecord;
  now: number;
  lastKnown: boolean;
}

/** Said after a value that is what the vehicle last reported, not what it does now. */
const LAST_KNOWN = ' (last known)';

function GpsHealth({ vehicle, now, lastKnown }: HealthSectionProps) {
  const p = vehicle.position;
  const fixAge = p ? now - p.t : null;
  const quality = vehicle.status?.gpsFix ?? p?.fixQuality ?? null;
  const ok = p !== null && quality !== 'none' && fixAge !== null && fixAge < FIX_STALE_MS;
  return (
    <section aria-labelledby="gps-heading">
      <h3 id="gps-heading">
        GPS{' '}
        <span className={`health ${ok ? 'ok' : 'bad'}`}>
          {ok ? 'fix' : p ? 'stale fix' : 'no fix'}
        </span>
      </h3>
      <dl className="facts">
        <dt>Position</dt>
        <dd className="mono" data-testid="position">
          {p ? `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}` : '—'}
        </dd>
        <dt>Speed</dt>
        <dd data-testid="speed" className={lastKnown ? 'muted' : ''}>
          {formatNumber(p?.speedKmh, 0)} km/h
          {p ? ` · ${formatAge(p.t, now)}` : ''}
          {p && lastKnown ? LAST_KNOWN : ''}
        </dd>
        <dt>Heading</dt>
        <dd>
          {p?.headingDeg === null || p?.headingDeg === undefined
            ? '—'
            : `${formatNumber(p.headingDeg)}°`}
        </dd>
        <dt>Fix</dt>
        <dd data-testid="fix-quality">{quality ?? '—'}</dd>
        <dt>Satellites</dt>
        <dd data-testid="satellites">{formatNumber(p?.satellites)}</dd>
        <dt>HDOP</dt>
        <dd data-testid="hdop">{formatNumber(p?.hdop, 1)}</dd>
        <dt>Last fix</dt>
        <dd data-testid="last-fix">{p ? `${formatTime(p.t)} (${formatAge(p.t, now)})` : '—'}</dd>
        <dt>Receiver</dt>
        <HealthCell
          id="gps-receiver"
          state={vehicle.status?.gpsReceiver}
          texts={GPS_RECEIVER_TEXT}
          lastKnown={lastKnown}
        />
      </dl>
    </section>
  );
}

function DeviceHealth({ vehicle, now, lastKnown }: HealthSectionProps) {
  const s = vehicle.status;
  const battery = s?.batteryV ?? null;
  // 12.4 V and more at rest, about 14 V charging; below 11.8 V a start is at risk.
  const batteryOk = battery === null || battery >= 11.8;
  return (
    <section aria-labelledby="device-heading">
      <h3 id="device-heading">
        Device{' '}
        <span className={`health ${vehicle.online && !lastKnown ? 'ok' : 'bad'}`}>
          {!vehicle.online ? 'offline' : lastKnown ? 'silent' : 'online'}
        </span>
      </h3>
      <dl className="facts">
        <dt>Last seen</dt>
        <dd data-testid="last-seen">
          {vehicle.lastSeenAt
            ? `${formatTime(vehicle.lastSeenAt)} (${formatAge(vehicle.lastSeenAt, now)})`
            : 'never'}
        </dd>
        <dt>Device</dt>
        <dd>{vehicle.deviceId === null ? 'none registered' : `#${vehicle.deviceId}`}</dd>
        <dt>Ignition</dt>
        <dd data-testid="ignition" className={lastKnown ? 'muted' : ''}>
          {s?.ignition === null || s?.ignition === undefined
            ? '—'
            : `${s.ignition ? 'on' : 'off'}${lastKnown ? LAST_KNOWN : ''}`}
        </dd>
        <dt>Battery</dt>
        <dd className={batteryOk ? '' : 'warn'} data-testid="battery">
          {formatNumber(battery, 1)} V
        </dd>
        <dt>OBD-II</dt>
        <HealthCell id="obd-link" state={s?.obdLink} texts={OBD_LINK_TEXT} lastKnown={lastKnown} />
        <dt>Not yet sent</dt>
        <dd
          className={(s?.backlog ?? 0) > BACKLOG_WARN ? 'warn' : ''}
          data-testid="backlog"
          title="Samples waiting in the vehicle's outbox when it last reported"
        >
          {s?.backlog === null || s?.backlog === undefined
            ? '—'
            : `${formatNumber(s.backlog)} ${s.backlog === 1 ? 'sample' : 'samples'}`}
        </dd>
      </dl>
    </section>
  );
}

/** One companion-reported state; '—' until the companion has reported it. */
function HealthCell<S extends string>({
  id,
  state,
  texts,
  lastKnown,
}: {
  id: string;
  state: S | null | undefined;
  texts: Record<S, { text: string; warn: boolean }>;
  lastKnown: boolean;
}) {
  const entry = state ? texts[state] : undefined;
  return (
    <dd
      className={entry?.warn ? 'warn' : lastKnown ? 'muted' : ''}
      data-testid={id}
      data-state={state ?? ''}
    >
      {entry ? `${entry.text}${lastKnown ? LAST_KNOWN : ''}` : '—'}
    </dd>
  );
}

function ReadingRow({
  reading,
  points,
  now,
}: {
  reading: ReadingState;
  points: readonly SeriesPoint[] | undefined;
  now: number;
}) {
  const meta = readingMeta(reading.pid, reading.part, reading.unit);
  const share =
    meta.min !== null && meta.max !== null && meta.max > meta.min
      ? Math.min(1, Math.max(0, (reading.value - meta.min) / (meta.max - meta.min)))
      : null;
  const recent = points?.filter((p) => p.t >= now - CHART_WINDOW_MS) ?? [];
  return (
    <tr data-pid={reading.pid} data-part={reading.part}>
      <th scope="row">{meta.name}</th>
      <td className="value">
        <span className="number">{formatNumber(reading.value, meta.digits)}</span>{' '}
        <span className="unit">{meta.unit}</span>
        {share !== null && (
          <span className="gauge" aria-hidden="true">
            <span style={{ width: `${(share * 100).toFixed(1)}%` }} />
          </span>
        )}
      </td>
      <td className="chart">
        <Sparkline points={recent} label={meta.name} />
      </td>
    </tr>
  );
}

const DTC_KIND_LABELS: Record<DtcState['kind'], string> = {
  stored: 'Confirmed (stored)',
  pending: 'Pending',
  permanent: 'Permanent',
};

function TroubleCodes({ dtcs }: { dtcs: readonly DtcState[] }) {
  const reported = dtcs.filter((d) => d.codes.length > 0);
  return (
    <section aria-labelledby="dtc-heading">
      <h3 id="dtc-heading">Trouble codes</h3>
      {reported.length === 0 ? (
        <p className="muted">{dtcs.length === 0 ? 'Not reported yet.' : 'None.'}</p>
      ) : (
        reported.map((d) => (
          <div key={d.kind} className="dtc-group">
            <h4>
              {DTC_KIND_LABELS[d.kind]} <span className="muted">since {formatTime(d.t)}</span>
            </h4>
            <ul className="dtc-list" data-testid={`dtcs-${d.kind}`}>
              {d.codes.map((code) => {
                const info = describeTroubleCode(code);
                return (
                  <li key={code}>
                    <span className="mono dtc-code">{code}</span>{' '}
                    {info.description ?? info.category ?? 'Manufacturer-specific code'}
                    <span className="muted"> · {info.system}</span>
                  </li>
                );
              })}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}

/**
 * Loads the last minutes of readings for the small charts, then keeps them
 * growing from the live feed (the store appends to watched vehicles).
 */
function useWatchedSeries(vehicleId: number): {
  series: Map<ReadingKey, SeriesPoint[]> | undefined;
  error: string | null;
} {
  const { api, stores } = useConsole();
  const [error, setError] = useState<string | null>(null);
  // Loaded again when the connection comes back after a failure.
  const reload = useReloadWhenLive(error !== null);
  useEffect(() => {
    let cancelled = false;
    setError(null);
    const fleet = stores.fleet.getState();
    // Start watching at once (live values collect while the history loads).
    fleet.watch(vehicleId, new Map());
    const to = Date.now();
    api.readings(vehicleId, to - CHART_WINDOW_MS, to + 60_000, 300).then(
      (history) => {
        if (cancelled) return;
        const series = new Map<ReadingKey, SeriesPoint[]>();
        for (const s of history.series) series.set(readingKey(s.pid, s.part), s.points);
        stores.fleet.getState().watch(vehicleId, series);
      },
      (err: unknown) => {
        if (!cancelled) setError(errorMessage(err));
      },
    );
    return () => {
      cancelled = true;
      stores.fleet.getState().unwatch(vehicleId);
    };
  }, [api, stores, vehicleId, reload]);
  // The series grow in place; the panel re-renders with its vehicle, which changes with them.
  const series = useSlice(stores.fleet, (s) => s.series.get(vehicleId));
  return { series, error };
}
