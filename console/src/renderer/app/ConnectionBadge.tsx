import { useConsole, useSlice } from './context';
import { formatAge, formatTime } from '../panels/format';
import { useNow } from '../panels/use-now';

const LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Signed out',
} as const;

/** Always visible: is what the console shows live, and if not, how old is it. */
export function ConnectionBadge() {
  const { stores } = useConsole();
  const status = useSlice(stores.connection, (s) => s.status);
  const attempt = useSlice(stores.connection, (s) => s.attempt);
  const lastError = useSlice(stores.connection, (s) => s.lastError);
  const rejected = useSlice(stores.connection, (s) => s.rejectedMessages);
  const lastRejection = useSlice(stores.connection, (s) => s.lastRejection);
  const receivedAt = useSlice(stores.fleet, (s) => s.receivedAt);
  const now = useNow();
  const detail = [
    lastError,
    status !== 'live' && receivedAt ? `last data ${formatTime(receivedAt)}` : null,
    attempt > 0 && status === 'reconnecting' ? `attempt ${attempt}` : null,
  ].filter(Boolean);
  return (
    <div
      className={`connection connection-${status}`}
      role="status"
      aria-live="polite"
      data-testid="connection"
      data-status={status}
      title={[
        ...detail,
        rejected ? `${rejected} malformed messages refused (last: ${lastRejection})` : null,
      ]
        .filter(Boolean)
        .join('\n')}
    >
      <span className="dot" aria-hidden="true" />
      <span>{LABELS[status]}</span>
      {status !== 'live' && receivedAt && (
        <span className="muted"> · data {formatAge(receivedAt, now)}</span>
      )}
      {rejected > 0 && (
        <span className="warn" aria-label={`${rejected} malformed messages refused`}>
          {' '}
          ⚠ {rejected}
        </span>
      )}
    </div>
  );
}

/** Across the top while the picture is not live: nobody should mistake it for the present. */
export function StaleBanner() {
  const { stores } = useConsole();
  const status = useSlice(stores.connection, (s) => s.status);
  const source = useSlice(stores.fleet, (s) => s.source);
  const receivedAt = useSlice(stores.fleet, (s) => s.receivedAt);
  const lastResync = useSlice(stores.connection, (s) => s.lastResync);
  const now = useNow();
  if (status === 'live') {
    // Say briefly that the picture was brought up to date after an outage.
    if (lastResync && now - lastResync.at < 8000)
      return (
        <div className="banner banner-ok" role="status" data-testid="resync-banner">
          Reconnected: the picture is up to date again (
          {lastResync.full ? 'full resync' : `${lastResync.vehicles} vehicles caught up`}).
        </div>
      );
    return null;
  }
  if (source === 'none' || receivedAt === null) return null;
  return (
    <div className="banner banner-stale" role="alert" data-testid="stale-banner">
      <strong>Not live.</strong>{' '}
      {source === 'stored'
        ? 'Showing the last known picture saved on this computer'
        : 'Showing the last known positions'}
      , from {formatTime(receivedAt)} ({formatAge(receivedAt, now)}). Reconnecting to the server…
    </div>
  );
}
