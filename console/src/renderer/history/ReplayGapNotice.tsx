import { useConsole, useSlice } from '../app/context';
import { formatDateTime, formatTime } from '../panels/format';
import { localDay } from '../stores/history-store';

/**
 * Above the fleet's event log after a reconnect that replayed only the
 * newest missed events (the server's replay is bounded): without it the log
 * looks complete while the older events of the outage are missing. It does
 * not block anything, and stays until dismissed or acted on.
 */
export function ReplayGapNotice({ onShowEarlier }: { onShowEarlier: () => void }) {
  const { stores } = useConsole();
  const gap = useSlice(stores.events, (s) => s.replayGap);
  if (!gap) return null;
  const today = localDay(Date.now());
  const at = (t: number) => (localDay(t) === today ? formatTime(t) : formatDateTime(t));
  return (
    <div className="notice replay-gap" role="status" data-testid="replay-gap">
      <p>
        <strong>Not every missed event is listed.</strong> More events happened while this console
        was disconnected than a reconnect brings back: only the newest {gap.replayed} are shown.
        Those recorded{' '}
        {gap.missingAfter === null
          ? `before ${at(gap.missingBefore)}`
          : `between ${at(gap.missingAfter)} and ${at(gap.missingBefore)}`}{' '}
        are missing here; the server keeps them.
      </p>
      <div className="notice-actions">
        <button type="button" className="secondary" onClick={onShowEarlier}>
          Show earlier events
        </button>
        <button
          type="button"
          className="link"
          onClick={() => stores.events.getState().dismissReplayGap()}
        >
          Dismiss
        </button>
      </div>
    </div>
  );
}
