// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/ipc';
import type { Settings, SettingsPatch } from '../../shared/ipc';
import { webPlatform } from '../platform/platform';
import type { Platform } from '../platform/platform';
import { json, render, step, testServices, text } from '../testing/render';
import { LoginScreen } from './LoginScreen';

/** React watches the value setter of the prototype: typing has to go through it, as a browser does. */
function setInputValue(el: HTMLInputElement, value: string): void {
  // The prototype's setter with the element as receiver, not the element's own property.
  Reflect.set(HTMLInputElement.prototype, 'value', value, el);
}

/** The desktop platform as the renderer sees it, with settings in memory (the main process faked). */
function desktopPlatform(serverUrl: string): Platform & { updates: SettingsPatch[] } {
  let settings: Settings = { ...DEFAULT_SETTINGS, serverUrl };
  const updates: SettingsPatch[] = [];
  return {
    ...webPlatform(window),
    kind: 'desktop',
    updates,
    serverUrl: () => settings.serverUrl.replace(/\/+$/, ''),
    settings: () => Promise.resolve(settings),
    updateSettings(patch) {
      updates.push(patch);
      settings = { ...settings, ...patch };
      return Promise.resolve(settings);
    },
  };
}

describe('sign-in', () => {
  it('explains a wrong password, then signs in', async () => {
    let attempt = 0;
    const services = testServices((url, init) => {
      expect(url).toBe('/api/auth/login');
      expect(JSON.parse(typeof init.body === 'string' ? init.body : '{}')).toMatchObject({
        email: 'dana@example.test',
      });
      return ++attempt === 1
        ? json(401, {
            type: '/problems/invalid-credentials',
            title: 'Email or password is wrong',
            status: 401,
          })
        : json(200, {
            token: 'fls_x',
            expiresAt: Date.now() + 3600_000,
            user: {
              id: 1,
              email: 'dana@example.test',
              name: 'Dana',
              role: 'dispatcher',
              fleetIds: [1],
            },
          });
    });
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    const input = (label: string) =>
      view.container.querySelector<HTMLInputElement>(`input[autocomplete="${label}"]`)!;
    const type = (el: HTMLInputElement, value: string) => {
      setInputValue(el, value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    };
    await step(() => {
      type(input('username'), 'dana@example.test');
      type(input('current-password'), 'nope');
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(text(view.container.querySelector('[role="alert"]'))).toBe(
      'The e-mail or the password is wrong.',
    );
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(services.stores.session.getState()).toMatchObject({
      status: 'signed-in',
      token: 'fls_x',
    });
    // In a browser the login is the server's cookie: a reload asks who it belongs to until it expires.
    const until = Number(localStorage.getItem('fleetline.console.cookie-login-until'));
    expect(until).toBe(services.stores.session.getState().expiresAt);
  });

  it('on the desktop, switches server without calling it from this page, and keeps the e-mail for the reload', async () => {
    const services = testServices(() => json(500, {}));
    const platform = desktopPlatform('http://127.0.0.1:8080');
    services.platform = platform;
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    const field = (selector: string) => view.container.querySelector<HTMLInputElement>(selector)!;
    await step(() => {
      for (const [selector, value] of [
        ['input[type="url"]', 'https://fleet.example:8443/'],
        ['input[autocomplete="username"]', 'dana@example.test'],
        ['input[autocomplete="current-password"]', 'secret password'],
      ] as const) {
        setInputValue(field(selector), value);
        field(selector).dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(platform.updates).toEqual([{ serverUrl: 'https://fleet.example:8443' }]);
    // The page's CSP allows the old server only: the login waits for the new page.
    expect(services.requests).toEqual([]);
    expect(text(view.container.querySelector('[data-testid="switching-server"]'))).toBe(
      'Connecting to https://fleet.example:8443…',
    );
    expect(view.container.querySelector('button[type="submit"]')?.hasAttribute('disabled')).toBe(
      true,
    );
    const kept = sessionStorage.getItem('fleetline.console.login-draft') ?? '';
    expect(JSON.parse(kept)).toEqual({
      serverUrl: 'https://fleet.example:8443',
      email: 'dana@example.test',
    });
    expect(kept).not.toContain('secret password');
  });

  it('on the desktop, signs in at once when the server is the same one written differently', async () => {
    const services = testServices(() =>
      json(200, {
        token: 'fls_same',
        expiresAt: Date.now() + 3600_000,
        user: { id: 1, email: 'd@x.y', name: 'Dana', role: 'dispatcher', fleetIds: [1] },
      }),
    );
    const platform = desktopPlatform('http://127.0.0.1:8080');
    services.platform = platform;
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    await step(() => {
      for (const [selector, value] of [
        ['input[type="url"]', 'http://127.0.0.1:8080/'],
        ['input[autocomplete="username"]', 'd@x.y'],
        ['input[autocomplete="current-password"]', 'pw'],
      ] as const) {
        const el = view.container.querySelector<HTMLInputElement>(selector)!;
        setInputValue(el, value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(services.requests).toEqual(['/api/auth/login']);
    expect(services.stores.session.getState().status).toBe('signed-in');
    expect(sessionStorage.getItem('fleetline.console.login-draft')).toBeNull();
  });

  it('fills in the e-mail kept across a server switch and asks for the password', async () => {
    const services = testServices();
    services.stores.session
      .getState()
      .signedOut('Now using https://fleet.example. Enter your password to sign in.', 'd@x.y');
    const view = await render(services, <LoginScreen />);
    expect(
      view.container.querySelector<HTMLInputElement>('input[autocomplete="username"]')?.value,
    ).toBe('d@x.y');
    expect(document.activeElement?.getAttribute('autocomplete')).toBe('current-password');
    expect(text(view.container.querySelector('.notice'))).toContain('Enter your password');
  });

  it('refuses a role without console access', async () => {
    const services = testServices(() =>
      json(200, {
        token: 'fls_x',
        expiresAt: Date.now() + 1000,
        user: { id: 2, email: 'd@x.y', name: 'Driver', role: 'driver', fleetIds: [] },
      }),
    );
    services.stores.session.getState().signedOut();
    const view = await render(services, <LoginScreen />);
    await step(() => {
      for (const [selector, value] of [
        ['username', 'd@x.y'],
        ['current-password', 'pw'],
      ] as const) {
        const el = view.container.querySelector<HTMLInputElement>(
          `input[autocomplete="${selector}"]`,
        )!;
        setInputValue(el, value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await step(() => view.container.querySelector('form')?.requestSubmit());
    await step(() => undefined);
    expect(text(view.container.querySelector('[role="alert"]'))).toBe(
      'This account may not use the dispatch console.',
    );
    expect(services.stores.session.getState().status).toBe('signed-out');
  });
});
