import { useEffect, useState } from 'react';
import { useConsole, useSlice } from './context';
import { formatAge, formatDateTime, formatTime } from '../panels/format';
import { useNow } from '../panels/use-now';

const LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Signed out',
} as const;

/**
 * What a screen reader is told, politely, when the connection changes: the
 * state only. The badge and the banners say how old the picture is, which
 * changes every second, so they are no live regions themselves.
 */
const ANNOUNCEMENTS = {
  idle: 'Not connected.',
  connecting: 'Connecting to the server.',
  live: 'Live.',
  reconnecting:
    'Not live: the connection to the server was lost. The last known picture stays on screen while the console reconnects.',
  unauthorized: 'Signed out.',
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
    <>
      <div
        className={`connection connection-${status}`}
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
      <span className="sr-only" role="status" data-testid="connection-announcement">
        {ANNOUNCEMENTS[status]}
      </span>
    </>
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
    // No live region: its age changes every second; the badge announces the state change.
    <div className="banner banner-stale" data-testid="stale-banner">
      <strong>Not live.</strong>{' '}
      {source === 'stored'
        ? 'Showing the last known picture saved on this computer'
        : 'Showing the last known positions'}
      , from {formatTime(receivedAt)} ({formatAge(receivedAt, now)}). Reconnecting to the server…
    </div>
  );
}

/** How often the read-only console asks whether the server can be reached again. */
export const SERVER_PROBE_MS = 15_000;

/**
 * Across the top while the console shows the picture saved on this computer
 * without a login (the server could not be reached at start-up): nothing
 * here is live, and nothing will be until the dispatcher signs in. It asks
 * the server now and then, and says when signing in can work again.
 */
export function OfflineBanner({
  onSignIn,
  probeMs = SERVER_PROBE_MS,
}: {
  onSignIn: () => void;
  probeMs?: number;
}) {
  const { api, stores } = useConsole();
  const receivedAt = useSlice(stores.fleet, (s) => s.receivedAt);
  const now = useNow();
  const [reachable, setReachable] = useState(false);
  useEffect(() => {
    let stopped = false;
    const timer = setInterval(() => {
      api.config().then(
        () => !stopped && setReachable(true),
        () => !stopped && setReachable(false),
      );
    }, probeMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, probeMs]);
  return (
    <div
      className="banner banner-stale banner-offline"
      data-testid="offline-banner"
      data-server={reachable ? 'reachable' : 'unreachable'}
    >
      <span>
        <strong>Not live. Not signed in.</strong> Showing the picture saved on this computer, from{' '}
        {formatDateTime(receivedAt)} ({formatAge(receivedAt, now)}).{' '}
        {reachable
          ? 'The server can be reached again: sign in to see the live picture.'
          : 'The server cannot be reached; nothing here changes until you sign in.'}
      </span>
      <button type="button" className={reachable ? '' : 'secondary'} onClick={onSignIn}>
        Sign in
      </button>
      {/* Announced when it changes; the banner's own text holds an age that changes every second. */}
      <span className="sr-only" role="status">
        {reachable ? 'The server can be reached again: sign in to see the live picture.' : ''}
      </span>
    </div>
  );
}
