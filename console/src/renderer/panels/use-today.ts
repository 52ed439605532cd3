import { useEffect, useState } from 'react';
import { dayRange, localDay } from '../stores/history-store';

/** Checked this often as well, for a machine that slept through midnight or whose clock was set. */
const RECHECK_MS = 60_000;

/**
 * Today (YYYY-MM-DD, local time), moving on by itself at local midnight: a
 * console left open overnight shows the new day without a reload.
 */
export function useToday(): string {
  const [today, setToday] = useState(() => localDay(Date.now()));
  useEffect(() => {
    const check = () => setToday(localDay(Date.now()));
    check();
    // A timer can fire a little early: never wait less than a moment, then check again.
    const untilMidnight = Math.max(dayRange(today).to - Date.now(), 0) + 50;
    const atMidnight = setTimeout(check, untilMidnight);
    const recheck = setInterval(check, RECHECK_MS);
    return () => {
      clearTimeout(atMidnight);
      clearInterval(recheck);
    };
  }, [today]);
  return today;
}
