import { createStore } from 'zustand/vanilla';
import type { VehicleState } from './vehicle-state';

export type PanelTab = 'live' | 'history' | 'events';

export interface VehicleFilter {
  /** Matches name, plate, VIN and driver, case- and accent-insensitive. */
  text: string;
  /** Empty: every state. */
  states: ReadonlySet<VehicleState>;
}

export interface UiState {
  selectedId: number | null;
  /** Keep the map centred on the selected vehicle as it moves. */
  follow: boolean;
  filter: VehicleFilter;
  panelTab: PanelTab;
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
  toggleState(state: VehicleState): void;
  clearFilter(): void;
  setPanelTab(tab: PanelTab): void;
  setFleetIds(ids: number[] | null): void;
  setShortcutsOpen(open: boolean): void;
  requestFit(): void;
  requestSearchFocus(): void;
}

export type UiStore = ReturnType<typeof createUiStore>;

export function createUiStore(initial: Partial<Pick<UiState, 'panelTab' | 'fleetIds'>> = {}) {
  return createStore<UiState>()((set) => ({
    selectedId: null,
    follow: false,
    filter: { text: '', states: new Set() },
    panelTab: initial.panelTab ?? 'live',
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
    setFleetIds: (fleetIds) => set({ fleetIds }),
    setShortcutsOpen: (shortcutsOpen) => set({ shortcutsOpen }),
    requestFit: () => set((s) => ({ fitRequest: s.fitRequest + 1 })),
    requestSearchFocus: () => set((s) => ({ searchFocusRequest: s.searchFocusRequest + 1 })),
  }));
}
