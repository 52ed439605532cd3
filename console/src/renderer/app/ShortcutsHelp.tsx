import { useConsole, useSlice } from './context';
import { SHORTCUTS } from './shortcuts';

export function ShortcutsHelp() {
  const { stores } = useConsole();
  const open = useSlice(stores.ui, (s) => s.shortcutsOpen);
  if (!open) return null;
  return (
    <div
      className="overlay"
      role="dialog"
      aria-modal="true"
      aria-labelledby="shortcuts-title"
      onClick={() => stores.ui.getState().setShortcutsOpen(false)}
    >
      <div className="dialog" onClick={(e) => e.stopPropagation()}>
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
