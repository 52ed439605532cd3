/**
 * Milliseconds on the Unix epoch scale that never go backwards: the wall
 * clock when the process started plus the monotonic time since.
 *
 * Schedules (polling, back-off, pauses, silence detection) run on this, not
 * on Date.now(): a vehicle computer without a real-time clock boots with a
 * saved time and is stepped by NTP or by hand later, and a step back of an
 * hour must not stall polling or the uplink for an hour. Sample times come
 * from the TimeSource instead (GPS time when there is a fix).
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}
