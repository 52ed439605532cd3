import { useEffect } from 'react';
import { useConsole } from '../app/context';

/** How often the desktop console writes its picture to the local store. */
export const PICTURE_SAVE_MS = 30_000;
/** Events kept with the picture. */
const PICTURE_EVENTS = 500;

/**
 * Keeps the last known picture in the desktop's local store, so the next
 * start can show it (clearly marked stale) while the server is out of
 * reach. Renders nothing; in a browser, saving is a no-op.
 */
export function PictureKeeper() {
  const { platform, stores } = useConsole();

  useEffect(() => {
    if (platform.kind !== 'desktop') return;
    let savedRevision = -1;
    const save = () => {
      const fleet = stores.fleet.getState();
      if (fleet.source !== 'live' || fleet.revision === savedRevision || fleet.receivedAt === null)
        return;
      savedRevision = fleet.revision;
      void platform
        .savePicture({
          // Whose data the stores hold: the picture is shown to no one else.
          userId: stores.session.getState().dataUserId,
          savedAt: Date.now(),
          receivedAt: fleet.receivedAt,
          fleets: fleet.fleets,
          vehicles: [...fleet.vehicles.values()].map(({ state: _state, ...snapshot }) => snapshot),
          events: stores.events.getState().events.slice(0, PICTURE_EVENTS),
        })
        .catch(() => {
          // A full disk must not disturb the live console; the next save retries.
          savedRevision = -1;
        });
    };
    const timer = setInterval(save, PICTURE_SAVE_MS);
    const onHide = () => {
      if (document.visibilityState === 'hidden') save();
    };
    document.addEventListener('visibilitychange', onHide);
    window.addEventListener('beforeunload', save);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onHide);
      window.removeEventListener('beforeunload', save);
    };
  }, [platform, stores]);

  return null;
}
