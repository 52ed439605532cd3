import { useEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { useConsole, useSlice } from './context';
import { SHORTCUTS } from './shortcuts';

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * The shortcuts, as a modal dialog: focus moves into it when it opens, Tab
 * stays inside it, and focus goes back where it was when it closes.
 */
export function ShortcutsHelp() {
  const { stores } = useConsole();
  const open = useSlice(stores.ui, (s) => s.shortcutsOpen);
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.current?.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    return () => before?.focus();
  }, [open]);
  if (!open) return null;
  const trapTab = (e: KeyboardEvent) => {
    if (e.key !== 'Tab') return;
    const focusable = [...(dialog.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
    const first = focusable[0];
    const last = focusable.at(-1);
    if (!first || !last) return;
    const inside = dialog.current?.contains(document.activeElement) ?? false;
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div
      className="overlay"
      role="dialog"
      aria-modal="true"
      aria-labelledby="shortcuts-title"
      onClick={() => stores.ui.getState().setShortcutsOpen(false)}
      onKeyDown={trapTab}
    >
      <div className="dialog" ref={dialog} onClick={(e) => e.stopPropagation()}>
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.description}>
                <td>
                  {s.keys.map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </td>
                <td>{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => stores.ui.getState().setShortcutsOpen(false)}>
          Close
        </button>
      </div>
    </div>
  );
}
