import type { ConsoleConfig } from '@fleetline/protocol';
import { localDay } from '../stores/history-store';

export type Retention = NonNullable<ConsoleConfig['retention']>;

const DAY_MS = 86_400_000;

/**
 * The earliest day that can still hold any history (a track, trips or
 * events), as YYYY-MM-DD in local time; null when something is kept for good.
 */
export function oldestDay(retention: Retention | null, now: number): string | null {
  if (!retention || retention.telemetryDays === null || retention.eventDays === null) return null;
  return localDay(now - Math.max(retention.telemetryDays, retention.eventDays) * DAY_MS);
}

/** One line for the history panel on what the server keeps; null when it keeps everything. */
export function retentionNote(retention: Retention | null): string | null {
  if (!retention) return null;
  const { telemetryDays: track, eventDays: events } = retention;
  if (track === null && events === null) return null;
  const days = (n: number) => `${n.toLocaleString()} day${n === 1 ? '' : 's'}`;
  if (track === events) return `History is kept for ${days(track!)}.`;
  const trackPart =
    track === null
      ? 'Tracks and readings are kept for good'
      : `Tracks and readings are kept for ${days(track)}`;
  const eventPart =
    events === null ? 'trips and events for good' : `trips and events for ${days(events)}`;
  return `${trackPart}, ${eventPart}.`;
}
