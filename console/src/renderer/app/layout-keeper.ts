import { useEffect } from 'react';
import type { Platform } from '../platform/platform';
import { layoutOf } from '../stores/ui-store';
import type { Layout, UiStore } from '../stores/ui-store';
import { useConsole } from './context';

/** Saves once the layout has been still this long (dragging a column fires many changes). */
export const LAYOUT_SAVE_DELAY_MS = 400;

const sameLayout = (a: Layout, b: Layout | null) =>
  b !== null &&
  a.sidebarWidth === b.sidebarWidth &&
  a.panelWidth === b.panelWidth &&
  a.panelTab === b.panelTab;

/**
 * The one place the layout is saved: the UI store holds it (column widths,
 * open tab), whoever changes it (a drag, a tab, a shortcut) changes the
 * store, and this saves the whole of it from the store when it has changed.
 * Nothing else writes the layout, so no one can write a stale copy over it.
 */
export function keepLayout(
  ui: UiStore,
  platform: Pick<Platform, 'updateSettings'>,
  delayMs = LAYOUT_SAVE_DELAY_MS,
): () => void {
  /** What the settings hold; null when unknown (the last save failed). */
  let saved: Layout | null = layoutOf(ui.getState());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    const layout = layoutOf(ui.getState());
    if (sameLayout(layout, saved)) return;
    saved = layout;
    platform.updateSettings({ layout }).catch(() => {
      // Not saved (a full disk): the next change tries again with the whole layout.
      saved = null;
    });
  };
  const unsubscribe = ui.subscribe((state) => {
    if (sameLayout(layoutOf(state), saved)) return;
    clearTimeout(timer);
    timer = setTimeout(save, delayMs);
  });
  const flushOnUnload = () => save();
  window.addEventListener('beforeunload', flushOnUnload);
  return () => {
    unsubscribe();
    window.removeEventListener('beforeunload', flushOnUnload);
    save();
  };
}

/** keepLayout for the console's lifetime; renders nothing. */
export function LayoutKeeper() {
  const { platform, stores } = useConsole();
  useEffect(() => keepLayout(stores.ui, platform), [stores, platform]);
  return null;
}
