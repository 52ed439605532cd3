// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { VehicleList } from '../panels/VehicleList';
import { loadFleet, three } from '../testing/fixtures';
import { ShortcutHost, press, render, testServices, text } from '../testing/render';
import { ShortcutsHelp } from './ShortcutsHelp';
import { TopBar } from './TopBar';

describe('keyboard shortcuts', () => {
  it('search, next and previous vehicle, follow, filters, tabs and help', async () => {
    const services = testServices();
    loadFleet(services, three());
    const view = await render(
      services,
      <>
        <ShortcutHost />
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <VehicleList />
        <ShortcutsHelp />
      </>,
    );
    const ui = services.stores.ui;
    await press('/');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Search vehicles');
    // Typing in the search box is typing: j is a letter there.
    await press('j', document.activeElement ?? window);
    expect(ui.getState().selectedId).toBeNull();
    await press('Escape', document.activeElement ?? window);
    expect(document.activeElement?.getAttribute('aria-label')).not.toBe('Search vehicles');

    await press('j');
    expect(ui.getState().selectedId).toBe(3);
    await press('j');
    expect(ui.getState().selectedId).toBe(1);
    await press('k');
    expect(ui.getState().selectedId).toBe(3);
    await press('f');
    expect(ui.getState().follow).toBe(true);
    await press('h');
    expect(ui.getState().panelTab).toBe('history');
    await press('3');
    expect([...ui.getState().filter.states]).toEqual(['offline']);
    await press('0');
    expect(ui.getState().filter.states.size).toBe(0);
    await press('Escape');
    expect(ui.getState().selectedId).toBeNull();
    expect(ui.getState().follow).toBe(false);

    await press('?', window, { shiftKey: true });
    const help = text(view.container.querySelector('[role="dialog"]'));
    expect(help).toContain('Keyboard shortcuts');
    expect(help).toContain('Follow the selected vehicle on the map');
    await press('Escape');
    expect(view.container.querySelector('[role="dialog"]')).toBeNull();
  });
});
