import { describe, expect, it } from 'vitest';
import { localDay } from '../stores/history-store';
import { oldestDay, retentionNote } from './retention';

describe('history retention in the console', () => {
  const now = new Date(2026, 10, 21, 15, 0).getTime();

  it('offers days back to the longer of the two retentions', () => {
    expect(oldestDay({ telemetryDays: 30, eventDays: 90 }, now)).toBe(
      localDay(new Date(2026, 7, 23, 15, 0).getTime()),
    );
    expect(oldestDay({ telemetryDays: 7, eventDays: 7 }, now)).toBe('2026-11-14');
  });

  it('sets no limit when anything is kept for good, or the server does not say', () => {
    expect(oldestDay({ telemetryDays: 30, eventDays: null }, now)).toBeNull();
    expect(oldestDay({ telemetryDays: null, eventDays: null }, now)).toBeNull();
    expect(oldestDay(null, now)).toBeNull();
  });

  it('says what is kept, in one line', () => {
    expect(retentionNote({ telemetryDays: 30, eventDays: 30 })).toBe(
      'History is kept for 30 days.',
    );
    expect(retentionNote({ telemetryDays: 30, eventDays: 365 })).toBe(
      'Tracks and readings are kept for 30 days, trips and events for 365 days.',
    );
    expect(retentionNote({ telemetryDays: 1, eventDays: null })).toBe(
      'Tracks and readings are kept for 1 day, trips and events for good.',
    );
    expect(retentionNote({ telemetryDays: null, eventDays: null })).toBeNull();
    expect(retentionNote(null)).toBeNull();
  });
});
