import { act } from 'react';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach } from 'vitest';
import { createApiClient } from '../api/client';
import { ConsoleProvider, createConsoleStores, useConsole } from '../app/context';
import { useShortcuts } from '../app/use-shortcuts';
import type { ConsoleServices } from '../app/context';
import { webPlatform } from '../platform/platform';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export type FakeFetch = (url: string, init: RequestInit) => Response | Promise<Response>;

/** Console services for component tests: real stores, the browser platform, a scripted server. */
export function testServices(
  fetchImpl: FakeFetch = () =>
    json(404, { type: '/problems/not-found', title: 'Not found', status: 404 }),
): ConsoleServices & { requests: string[] } {
  const requests: string[] = [];
  const stores = createConsoleStores();
  const api = createApiClient({
    baseUrl: () => '',
    token: () => stores.session.getState().token,
    fetchImpl: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      requests.push(url);
      return Promise.resolve(fetchImpl(url, init ?? {}));
    },
  });
  return { platform: webPlatform(window), api, stores, requests };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** What `render` mounted and nobody unmounted yet: the cleanup below unmounts it. */
const mounted = new Set<() => Promise<void>>();

// Registered once per test file, as the file imports this module (vitest
// isolates test files, so each gets its own): every test ends with what it
// rendered unmounted and the browser storage the components wrote cleared,
// so the next test starts from an empty page.
afterEach(async () => {
  for (const unmount of [...mounted]) await unmount();
  localStorage.clear();
  sessionStorage.clear();
});

/** Mounts `ui` with these services; it is unmounted after the test unless `unmount` is called first. */
export async function render(services: ConsoleServices, ui: ReactNode) {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => {
    root.render(<ConsoleProvider services={services}>{ui}</ConsoleProvider>);
    await Promise.resolve();
  });
  const unmount = async () => {
    if (!mounted.delete(unmount)) return;
    await act(async () => {
      root.unmount();
      await Promise.resolve();
    });
    container.remove();
  };
  mounted.add(unmount);
  return { container, unmount };
}

/** Runs a state change or an event inside act, so React has rendered when it returns. */
export async function step(fn: () => unknown): Promise<void> {
  await act(async () => {
    await fn();
    await new Promise((r) => setTimeout(r, 0));
  });
}

export function press(
  key: string,
  target: EventTarget = window,
  init: KeyboardEventInit = {},
): Promise<void> {
  return step(() =>
    target.dispatchEvent(
      new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }),
    ),
  );
}

export function text(el: Element | null | undefined): string {
  return (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The console's keyboard shortcuts, as the shell installs them, for components tested without the shell. */
export function ShortcutHost() {
  const { stores } = useConsole();
  useShortcuts(stores);
  return null;
}
