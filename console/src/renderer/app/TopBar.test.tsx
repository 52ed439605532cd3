// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { loadFleet, three } from '../testing/fixtures';
import { ShortcutHost, press, render, step, testServices, text } from '../testing/render';
import { TopBar } from './TopBar';

let unmount: (() => Promise<void>) | undefined;
afterEach(async () => {
  await unmount?.();
  unmount = undefined;
  localStorage.clear();
  sessionStorage.clear();
});

describe('alarm notifications in a browser', () => {
  /** The browser's Notification API, with the user's answer to its prompt scripted. */
  function fakeNotificationApi(permission: NotificationPermission, answer: NotificationPermission) {
    const api = {
      permission,
      asked: 0,
      requestPermission() {
        api.asked += 1;
        api.permission = answer;
        return Promise.resolve(answer);
      },
    };
    Object.defineProperty(window, 'Notification', { value: api, configurable: true });
    return api;
  }
  afterEach(() => {
    Reflect.deleteProperty(window, 'Notification');
  });
  const openMenu = async (view: { container: HTMLElement }) => {
    await step(() =>
      view.container.querySelector<HTMLButtonElement>('.user-menu > button')?.click(),
    );
    return () => view.container.querySelector<HTMLButtonElement>('[role="menuitemcheckbox"]');
  };

  it('is not shown as on before the browser allows it, asks when turned on, and says when it is blocked', async () => {
    const browser = fakeNotificationApi('default', 'denied');
    const services = testServices();
    // The setting is on (the default), but the browser has not been asked.
    expect((await services.platform.settings()).notifications).toBe(true);
    const view = await render(
      services,
      <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />,
    );
    unmount = view.unmount;
    const item = await openMenu(view);
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect(text(item())).toBe('☐ Alarm notifications (the browser will ask)');

    // Turned on: the browser asks; the user blocks them.
    await step(() => item()?.click());
    expect(browser.asked).toBe(1);
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect(text(item())).toContain('blocked by the browser');
    expect((await services.platform.settings()).notifications).toBe(false);
  });

  it('is on once the browser allows it, and off again when turned off', async () => {
    const browser = fakeNotificationApi('default', 'granted');
    const services = testServices();
    const view = await render(
      services,
      <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />,
    );
    unmount = view.unmount;
    const item = await openMenu(view);
    await step(() => item()?.click());
    expect(browser.asked).toBe(1);
    expect(item()?.getAttribute('aria-checked')).toBe('true');
    expect(text(item())).toBe('☑ Alarm notifications');
    await step(() => item()?.click());
    expect(item()?.getAttribute('aria-checked')).toBe('false');
    expect((await services.platform.settings()).notifications).toBe(false);
    expect(browser.asked).toBe(1);
  });
});

describe('the user menu', () => {
  it('closes on Esc (and only the menu) and on a click outside it', async () => {
    const services = testServices();
    loadFleet(services, three());
    services.stores.ui.getState().select(1);
    const view = await render(
      services,
      <>
        <ShortcutHost />
        <TopBar account={{ kind: 'signed-in', onSignOut: () => {} }} />
      </>,
    );
    unmount = view.unmount;
    const toggle = view.container.querySelector<HTMLButtonElement>('.user-menu > button');
    const menu = () => view.container.querySelector('[role="menu"]');
    await step(() => toggle?.click());
    expect(menu()).not.toBeNull();
    const item = view.container.querySelector<HTMLButtonElement>('[role="menuitem"]');
    item?.focus();
    await press('Escape', item ?? window);
    expect(menu()).toBeNull();
    // Esc closed the menu, not the vehicle as well.
    expect(services.stores.ui.getState().selectedId).toBe(1);
    expect(document.activeElement).toBe(toggle);

    await step(() => toggle?.click());
    // A click inside the menu leaves it open; one outside closes it.
    await step(() => menu()?.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true })));
    expect(menu()).not.toBeNull();
    await step(() =>
      document.body.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true })),
    );
    expect(menu()).toBeNull();
  });
});
