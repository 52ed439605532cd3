import { useEffect, useState } from 'react';
import { useConsole } from './context';

/**
 * A number that moves on each time the connection comes back (turns live)
 * while `failed` is true: a load that failed while the server could not be
 * reached puts it in its effect's dependencies and runs again, rather than
 * saying "cannot be reached" under a badge that says Live.
 */
export function useReloadWhenLive(failed: boolean): number {
  const { stores } = useConsole();
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    if (!failed) return;
    return stores.connection.subscribe((s, prev) => {
      if (s.status === 'live' && prev.status !== 'live') setReloads((n) => n + 1);
    });
  }, [stores, failed]);
  return reloads;
}
