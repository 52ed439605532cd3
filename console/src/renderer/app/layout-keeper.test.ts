// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SettingsPatch } from '../../shared/ipc';
import { createConsoleStores } from './context';
import { keepLayout } from './layout-keeper';
import { shortcutFor } from './shortcuts';

function recordingPlatform() {
  const patches: SettingsPatch[] = [];
  return {
    patches,
    updateSettings: (patch: SettingsPatch) => {
      patches.push(patch);
      return Promise.resolve({} as never);
    },
  };
}

describe('the layout is kept in one place', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('saves the tab chosen with a shortcut, and a later resize does not undo it', () => {
    vi.useFakeTimers();
    const stores = createConsoleStores();
    stores.ui.setState({ sidebarWidth: 320, panelWidth: 400, panelTab: 'live' });
    const platform = recordingPlatform();
    const stop = keepLayout(stores.ui, platform, 400);

    shortcutFor({ key: 'h', ctrlKey: false, metaKey: false, altKey: false })?.run(stores);
    vi.advanceTimersByTime(400);
    expect(platform.patches).toEqual([
      { layout: { sidebarWidth: 320, panelWidth: 400, panelTab: 'history' } },
    ]);

    stores.ui.getState().setColumnWidth('sidebar', 360);
    vi.advanceTimersByTime(400);
    expect(platform.patches.at(-1)).toEqual({
      layout: { sidebarWidth: 360, panelWidth: 400, panelTab: 'history' },
    });
    stop();
  });

  it('saves a drag once, when it stops, and nothing when nothing changed', () => {
    vi.useFakeTimers();
    const stores = createConsoleStores();
    const platform = recordingPlatform();
    const stop = keepLayout(stores.ui, platform, 400);
    for (let w = 400; w <= 600; w += 5) {
      stores.ui.getState().setColumnWidth('panel', w);
      vi.advanceTimersByTime(16);
    }
    expect(platform.patches).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(platform.patches).toHaveLength(1);
    expect(platform.patches[0]?.layout?.panelWidth).toBe(600);

    // Selecting a vehicle or typing a search is not the layout.
    stores.ui.getState().select(3);
    stores.ui.getState().setText('van');
    vi.advanceTimersByTime(1000);
    expect(platform.patches).toHaveLength(1);
    stop();
  });

  it('keeps widths within their bounds', () => {
    const stores = createConsoleStores();
    stores.ui.getState().setColumnWidth('sidebar', 5000);
    stores.ui.getState().setColumnWidth('panel', 10);
    expect(stores.ui.getState()).toMatchObject({ sidebarWidth: 800, panelWidth: 280 });
  });

  it('saves what is pending when it stops (the window closes)', () => {
    const stores = createConsoleStores();
    const platform = recordingPlatform();
    const stop = keepLayout(stores.ui, platform, 400);
    stores.ui.getState().setPanelTab('events');
    expect(platform.patches).toEqual([]);
    stop();
    expect(platform.patches).toEqual([
      { layout: { sidebarWidth: 320, panelWidth: 400, panelTab: 'events' } },
    ]);
  });

  it('saves the layout again after a save failed, even when it comes back to the same', async () => {
    vi.useFakeTimers();
    const stores = createConsoleStores();
    let fail = true;
    const patches: SettingsPatch[] = [];
    const stop = keepLayout(
      stores.ui,
      {
        updateSettings: (patch) => {
          patches.push(patch);
          return fail ? Promise.reject(new Error('disk full')) : Promise.resolve({} as never);
        },
      },
      400,
    );
    stores.ui.getState().setPanelTab('events');
    await vi.advanceTimersByTimeAsync(400);
    expect(patches).toHaveLength(1);
    fail = false;
    stores.ui.getState().setPanelTab('live');
    stores.ui.getState().setPanelTab('events');
    await vi.advanceTimersByTimeAsync(400);
    expect(patches).toHaveLength(2);
    expect(patches[1]).toEqual({
      layout: { sidebarWidth: 320, panelWidth: 400, panelTab: 'events' },
    });
    stop();
  });
});
