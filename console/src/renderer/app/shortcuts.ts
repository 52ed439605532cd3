import type { ConsoleStores } from './context';
import { FILTER_CHIPS, filterVehicles } from '../stores/vehicle-filter';

export interface Shortcut {
  keys: string[];
  description: string;
  /** Returns false when it did not apply (the key then does what it normally does). */
  run(stores: ConsoleStores): boolean;
}

function step(stores: ConsoleStores, delta: 1 | -1): boolean {
  const list = filterVehicles(
    stores.fleet.getState().vehicles.values(),
    stores.ui.getState().filter,
    stores.events.getState().openAlarmVehicleIds,
  );
  if (list.length === 0) return false;
  const current = stores.ui.getState().selectedId;
  const index = list.findIndex((v) => v.id === current);
  const next =
    list[
      index === -1
        ? delta === 1
          ? 0
          : list.length - 1
        : (index + delta + list.length) % list.length
    ];
  if (next) stores.ui.getState().select(next.id);
  return true;
}

/** Every keyboard shortcut: the handler and the help overlay both read this table. */
export const SHORTCUTS: Shortcut[] = [
  {
    keys: ['/', 'Ctrl+K'],
    description: 'Search vehicles',
    run: (s) => (s.ui.getState().requestSearchFocus(), true),
  },
  { keys: ['J', '↓'], description: 'Next vehicle in the list', run: (s) => step(s, 1) },
  { keys: ['K', '↑'], description: 'Previous vehicle in the list', run: (s) => step(s, -1) },
  {
    keys: ['Esc'],
    description: 'Close help, or deselect the vehicle',
    run: (s) => {
      const ui = s.ui.getState();
      if (ui.shortcutsOpen) ui.setShortcutsOpen(false);
      else if (ui.selectedId !== null) ui.select(null);
      else return false;
      return true;
    },
  },
  {
    keys: ['F'],
    description: 'Follow the selected vehicle on the map',
    run: (s) => {
      const ui = s.ui.getState();
      if (ui.selectedId === null) return false;
      ui.setFollow(!ui.follow);
      return true;
    },
  },
  {
    keys: ['Z'],
    description: 'Fit the map to the vehicles shown',
    run: (s) => (s.ui.getState().requestFit(), true),
  },
  ...FILTER_CHIPS.map((chip, i): Shortcut => ({
    keys: [String(i + 1)],
    description:
      chip === 'open-alarm'
        ? 'Show or hide vehicles with an open alarm'
        : `Show or hide ${chip} vehicles`,
    run: (s) => (s.ui.getState().toggleState(chip), true),
  })),
  {
    keys: ['0'],
    description: 'Clear the search and filters',
    run: (s) => (s.ui.getState().clearFilter(), true),
  },
  {
    keys: ['L'],
    description: 'Live tab of the vehicle panel',
    run: (s) => (s.ui.getState().setPanelTab('live'), true),
  },
  {
    keys: ['H'],
    description: 'History tab (trips, replay, export)',
    run: (s) => (s.ui.getState().setPanelTab('history'), true),
  },
  {
    keys: ['E'],
    description: 'Event log of the fleet',
    run: (s) => (s.ui.getState().setPanelTab('events'), true),
  },
  {
    keys: ['Space'],
    description: 'Play or pause the replay',
    run: (s) => {
      const h = s.history.getState();
      if (!h.range || h.track.length === 0) return false;
      h.setPlaying(!h.playing);
      return true;
    },
  },
  {
    keys: ['A'],
    description: 'Acknowledge every alarm',
    run: (s) => {
      if (!s.events.getState().alarms.some((a) => !a.acknowledged)) return false;
      s.events.getState().acknowledgeAll();
      return true;
    },
  },
  {
    keys: ['?'],
    description: 'Show these shortcuts',
    run: (s) => (s.ui.getState().setShortcutsOpen(!s.ui.getState().shortcutsOpen), true),
  },
];

/** The shortcut a key press names, by KeyboardEvent fields. */
export function shortcutFor(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
): Shortcut | undefined {
  if (event.altKey) return undefined;
  const key =
    event.key === ' '
      ? 'Space'
      : event.key === 'Escape'
        ? 'Esc'
        : event.key === 'ArrowDown'
          ? '↓'
          : event.key === 'ArrowUp'
            ? '↑'
            : event.key.length === 1
              ? event.key.toUpperCase()
              : event.key;
  const name = event.ctrlKey || event.metaKey ? `Ctrl+${key}` : key;
  return SHORTCUTS.find((s) => s.keys.includes(name));
}

/** Typing in a field is typing, not a shortcut (except Esc, which leaves the field). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement)
    return !['checkbox', 'radio', 'button'].includes(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
