import { useEffect } from 'react';
import type { ConsoleStores } from './context';
import { isTypingTarget, shortcutFor } from './shortcuts';

/** Global keyboard shortcuts (table in shortcuts.ts). */
export function useShortcuts(stores: ConsoleStores): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat) return;
      const typing = isTypingTarget(event.target);
      if (typing && event.key !== 'Escape') {
        // Ctrl+K still reaches the search from anywhere.
        if (!((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k')) return;
      }
      if (typing && event.key === 'Escape') {
        (event.target as HTMLElement).blur();
        event.preventDefault();
        return;
      }
      // Space and Enter on a button press the button.
      if (event.target instanceof HTMLButtonElement && (event.key === ' ' || event.key === 'Enter'))
        return;
      const shortcut = shortcutFor(event);
      if (shortcut?.run(stores)) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [stores]);
}
