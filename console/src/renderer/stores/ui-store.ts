import { createStore } from 'zustand/vanilla';
import type { FilterChip } from './vehicle-filter';

export type PanelTab = 'live' | 'history' | 'events';

export interface VehicleFilter {
  /** Matches name, plate, VIN and driver, case- and accent-insensitive. */
  text: string;
  /** The chips that are on (vehicle-filter.ts); empty: every vehicle. */
  states: ReadonlySet<FilterChip>;
}

export interface UiState {
  selectedId: number | null;
  /** Keep the map centred on the selected vehicle as it moves. */
  follow: boolean;
  filter: VehicleFilter;
  panelTab: PanelTab;
  /** Widths of the vehicle list (left) and the details panel (right), px. */
  sidebarWidth: number;
  panelWidth: number;
  /** Fleets the view is narrowed to; null: all the user may see. */
  fleetIds: number[] | null;
  shortcutsOpen: boolean;
  /** Bumped to ask the map to fit every (filtered) vehicle. */
  fitRequest: number;
  /** Bumped to move keyboard focus to the search box. */
  searchFocusRequest: number;

  select(id: number | null): void;
  setFollow(follow: boolean): void;
  setText(text: string): void;
  toggleState(chip: FilterChip): void;
  clearFilter(): void;
  setPanelTab(tab: PanelTab): void;
  setColumnWidth(column: 'sidebar' | 'panel', width: number): void;
  setFleetIds(ids: number[] | null): void;
  setShortcutsOpen(open: boolean): void;
  requestFit(): void;
  requestSearchFocus(): void;
}

export type UiStore = ReturnType<typeof createUiStore>;

/** The column widths' bounds (as the settings schema has them). */
export const COLUMN_LIMITS = {
  sidebar: { min: 200, max: 800 },
  panel: { min: 280, max: 900 },
} as const;

/** The part of the UI state kept between runs as the layout. */
export interface Layout {
  sidebarWidth: number;
  panelWidth: number;
  panelTab: PanelTab;
}

export function layoutOf(state: Pick<UiState, keyof Layout>): Layout {
  return {
    sidebarWidth: state.sidebarWidth,
    panelWidth: state.panelWidth,
    panelTab: state.panelTab,
  };
}

export function createUiStore(
  initial: Partial<Pick<UiState, 'panelTab' | 'fleetIds' | 'sidebarWidth' | 'panelWidth'>> = {},
) {
  return createStore<UiState>()((set) => ({
    selectedId: null,
    follow: false,
    filter: { text: '', states: new Set() },
    panelTab: initial.panelTab ?? 'live',
    sidebarWidth: initial.sidebarWidth ?? 320,
    panelWidth: initial.panelWidth ?? 400,
    fleetIds: initial.fleetIds ?? null,
    shortcutsOpen: false,
    fitRequest: 0,
    searchFocusRequest: 0,
    // Following only makes sense with a vehicle to follow.
    select: (id) => set((s) => ({ selectedId: id, follow: id === null ? false : s.follow })),
    setFollow: (follow) => set((s) => ({ follow: follow && s.selectedId !== null })),
    setText: (text) => set((s) => ({ filter: { ...s.filter, text } })),
    toggleState: (state) =>
      set((s) => {
        const states = new Set(s.filter.states);
        if (states.has(state)) states.delete(state);
        else states.add(state);
        return { filter: { ...s.filter, states } };
      }),
    clearFilter: () => set({ filter: { text: '', states: new Set() } }),
    setPanelTab: (panelTab) => set({ panelTab }),
    setColumnWidth(column, width) {
      const { min, max } = COLUMN_LIMITS[column];
      const clamped = Math.round(Math.min(max, Math.max(min, width)));
      set(column === 'sidebar' ? { sidebarWidth: clamped } : { panelWidth: clamped });
    },
    setFleetIds: (fleetIds) => set({ fleetIds }),
    setShortcutsOpen: (shortcutsOpen) => set({ shortcutsOpen }),
    requestFit: () => set((s) => ({ fitRequest: s.fitRequest + 1 })),
    requestSearchFocus: () => set((s) => ({ searchFocusRequest: s.searchFocusRequest + 1 })),
  }));
}
