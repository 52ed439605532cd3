// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { render, step, testServices } from '../testing/render';
import { ShortcutsHelp } from './ShortcutsHelp';
import { TopBar } from './TopBar';

describe('the shortcuts dialog', () => {
  it('takes the focus, keeps Tab inside, and gives the focus back when it closes', async () => {
    const services = testServices();
    const view = await render(
      services,
      <>
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
        <ShortcutsHelp />
      </>,
    );
    const opener = view.container.querySelector<HTMLButtonElement>(
      'button[aria-label="Keyboard shortcuts"]',
    );
    opener?.focus();
    await step(() => opener?.click());
    const dialog = view.container.querySelector('[role="dialog"]');
    expect(dialog?.contains(document.activeElement)).toBe(true);

    // Tab and Shift+Tab from its last (and only) control stay in the dialog.
    for (const shiftKey of [false, true]) {
      const tab = new KeyboardEvent('keydown', {
        key: 'Tab',
        shiftKey,
        bubbles: true,
        cancelable: true,
      });
      await step(() => document.activeElement?.dispatchEvent(tab));
      expect(tab.defaultPrevented).toBe(true);
      expect(dialog?.contains(document.activeElement)).toBe(true);
    }

    await step(() => services.stores.ui.getState().setShortcutsOpen(false));
    expect(document.activeElement).toBe(opener);
  });
});
