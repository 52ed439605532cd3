// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import { DEFAULT_SETTINGS } from '../../shared/ipc';
import type { DesktopBridge, LastPicture, StoredSession } from '../../shared/ipc';
import { webPlatform } from '../platform/platform';
import { vehicleSnapshot } from '../testing/fixtures';
import { bootstrap } from './bootstrap';

const user = {
  id: 1,
  email: 'dana@example.test',
  name: 'Dana',
  role: 'dispatcher' as const,
  fleetIds: [1],
};
const event: FleetEvent = {
  id: 7,
  vehicleId: 1,
  type: 'ignition_on',
  t: 5,
  recordedAt: 5,
  late: false,
  data: {},
};

/** The desktop bridge as the preload exposes it, backed by memory. */
function fakeBridge(stored: { session: StoredSession | null; picture: LastPicture | null }) {
  const saved: { session?: StoredSession | null } = {};
  const bridge: DesktopBridge = {
    kind: 'desktop',
    appInfo: () =>
      Promise.resolve({ version: '0.1.0', platform: 'linux', electron: '40', secureStorage: true }),
    getSettings: () => Promise.resolve({ ...DEFAULT_SETTINGS, serverUrl: 'http://127.0.0.1:9' }),
    updateSettings: (patch) => Promise.resolve({ ...DEFAULT_SETTINGS, ...patch }),
    loadSession: () => Promise.resolve(stored.session),
    saveSession: (session) => {
      saved.session = session;
      return Promise.resolve();
    },
    loadPicture: (serverUrl) =>
      Promise.resolve(stored.picture?.serverUrl === serverUrl ? stored.picture : null),
    savePicture: () => Promise.resolve(),
    showNotification: () => Promise.resolve(true),
    saveFile: () => Promise.resolve({ saved: false, path: null }),
  };
  return { bridge, saved };
}

describe('start-up (desktop)', () => {
  beforeEach(() => {
    // The server is unreachable: every request fails as a browser's fetch does.
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
  });
  afterEach(() => {
    delete window.fleetline;
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it('opens with the stored picture and the kept login while the server cannot be reached', async () => {
    const picture: LastPicture = {
      serverUrl: 'http://127.0.0.1:9',
      userId: 1,
      savedAt: 2_000,
      receivedAt: 1_500,
      fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
      vehicles: [vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2, online: false })],
      events: [event],
    };
    const session = {
      serverUrl: 'http://127.0.0.1:9',
      token: 'fls_kept',
      expiresAt: Date.now() + 60_000,
      user,
    };
    window.fleetline = fakeBridge({ session, picture }).bridge;
    const { stores } = await bootstrap();
    expect(stores.fleet.getState().source).toBe('stored');
    expect(stores.fleet.getState().receivedAt).toBe(1_500);
    expect([...stores.fleet.getState().vehicles.keys()]).toEqual([1, 2]);
    expect(stores.events.getState().lastEventId).toBe(7);
    expect(stores.session.getState()).toMatchObject({
      status: 'signed-in',
      token: 'fls_kept',
      user,
    });
  });

  it("does not show another user's stored picture to the one whose login was kept", async () => {
    const picture: LastPicture = {
      serverUrl: 'http://127.0.0.1:9',
      userId: 2,
      savedAt: 2_000,
      receivedAt: 1_500,
      fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
      vehicles: [vehicleSnapshot({ id: 1 })],
      events: [event],
    };
    const session = {
      serverUrl: 'http://127.0.0.1:9',
      token: 'fls_kept',
      expiresAt: Date.now() + 60_000,
      user,
    };
    window.fleetline = fakeBridge({ session, picture }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState()).toMatchObject({ status: 'signed-in', dataUserId: 1 });
    expect(stores.fleet.getState().vehicles.size).toBe(0);
    expect(stores.events.getState().events).toEqual([]);
  });

  it('shows the stored picture read-only when there is no kept login and the server cannot be reached', async () => {
    const picture: LastPicture = {
      serverUrl: 'http://127.0.0.1:9',
      userId: 1,
      savedAt: 2_000,
      receivedAt: 1_500,
      fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
      vehicles: [vehicleSnapshot({ id: 1 }), vehicleSnapshot({ id: 2 })],
      events: [event],
    };
    window.fleetline = fakeBridge({ session: null, picture }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState()).toMatchObject({ status: 'offline', user: null, token: null });
    expect(stores.fleet.getState().source).toBe('stored');
    expect([...stores.fleet.getState().vehicles.keys()]).toEqual([1, 2]);
    expect(stores.events.getState().events.map((e) => e.id)).toEqual([7]);
  });

  it('asks to sign in when the server answers, even with a stored picture', async () => {
    vi.stubGlobal('fetch', () =>
      Promise.resolve(
        new Response(JSON.stringify({ type: '/problems/unauthenticated', status: 401 }), {
          status: 401,
          headers: { 'content-type': 'application/problem+json' },
        }),
      ),
    );
    const picture: LastPicture = {
      serverUrl: 'http://127.0.0.1:9',
      userId: 1,
      savedAt: 2_000,
      receivedAt: 1_500,
      fleets: [],
      vehicles: [vehicleSnapshot({ id: 1 })],
      events: [],
    };
    window.fleetline = fakeBridge({ session: null, picture }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState().status).toBe('signed-out');
  });

  it('asks to sign in again when the kept login has expired', async () => {
    const expired = {
      serverUrl: 'http://127.0.0.1:9',
      token: 'fls_old',
      expiresAt: Date.now() - 1,
      user,
    };
    window.fleetline = fakeBridge({ session: expired, picture: null }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState().status).toBe('signed-out');
    expect(stores.session.getState().notice).toBe('The server cannot be reached.');
    expect(stores.fleet.getState().source).toBe('none');
  });

  it('after the reload for a new server, asks for the password with the e-mail filled in', async () => {
    sessionStorage.setItem(
      'fleetline.console.login-draft',
      JSON.stringify({ serverUrl: 'http://127.0.0.1:9', email: 'dana@example.test' }),
    );
    window.fleetline = fakeBridge({ session: null, picture: null }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState()).toMatchObject({
      status: 'signed-out',
      emailHint: 'dana@example.test',
      notice: 'Now using http://127.0.0.1:9. Enter your password to sign in.',
    });
    // Used once.
    expect(sessionStorage.getItem('fleetline.console.login-draft')).toBeNull();
  });

  it('drops a draft typed for another server', async () => {
    sessionStorage.setItem(
      'fleetline.console.login-draft',
      JSON.stringify({ serverUrl: 'https://elsewhere.example', email: 'dana@example.test' }),
    );
    window.fleetline = fakeBridge({ session: null, picture: null }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState().emailHint).toBeNull();
    expect(stores.session.getState().notice).toBe('The server cannot be reached.');
  });
});

describe('start-up (web)', () => {
  const KEY = 'fleetline.console.cookie-login-until';
  /** A server as the page sees it: every URL asked for, and the answer to /api/auth/me. */
  const server = (me: () => Response) => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', (input: string) => {
      asked.push(input);
      if (input.startsWith('/api/auth/me')) return Promise.resolve(me());
      if (input.startsWith('/api/config'))
        return Promise.resolve(
          Response.json({ map: { mapboxToken: null, styleUrl: null }, version: '1' }),
        );
      return Promise.resolve(new Response(null, { status: 404 }));
    });
    return asked;
  };
  const problem = (status: number, type: string) =>
    Response.json({ type: `/problems/${type}`, title: type, status }, { status });
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it('shows the sign-in screen without asking who is signed in when this browser made no login', async () => {
    // The answer could only be a 401, which the browser logs as an error.
    const asked = server(() => problem(401, 'unauthenticated'));
    const { stores } = await bootstrap(webPlatform(window));
    expect(stores.session.getState()).toMatchObject({ status: 'signed-out', notice: null });
    expect(asked.filter((url) => url.startsWith('/api/auth/me'))).toEqual([]);
  });

  it('nor when the login it made has expired (and forgets it)', async () => {
    localStorage.setItem(KEY, String(Date.now() - 1));
    const asked = server(() => problem(401, 'unauthenticated'));
    const { stores } = await bootstrap(webPlatform(window));
    expect(stores.session.getState().status).toBe('signed-out');
    expect(asked.filter((url) => url.startsWith('/api/auth/me'))).toEqual([]);
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it('says so when the server cannot be reached, without a login to ask about', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    const { stores } = await bootstrap(webPlatform(window));
    expect(stores.session.getState()).toMatchObject({
      status: 'signed-out',
      notice: 'The server cannot be reached.',
    });
  });

  it('signs in with the cookie login this browser made', async () => {
    localStorage.setItem(KEY, String(Date.now() + 60_000));
    server(() => Response.json(user));
    const { stores } = await bootstrap(webPlatform(window));
    expect(stores.session.getState()).toMatchObject({ status: 'signed-in', user, token: null });
  });

  it('says the session ended when the server no longer knows that login', async () => {
    localStorage.setItem(KEY, String(Date.now() + 60_000));
    server(() => problem(401, 'unauthenticated'));
    const { stores } = await bootstrap(webPlatform(window));
    expect(stores.session.getState()).toMatchObject({
      status: 'signed-out',
      notice: 'Your session has ended. Please sign in again.',
    });
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it('reports a real failure to check the login instead of passing over it', async () => {
    localStorage.setItem(KEY, String(Date.now() + 60_000));
    const asked = server(() => problem(500, 'internal'));
    const { stores } = await bootstrap(webPlatform(window));
    expect(asked.filter((url) => url.startsWith('/api/auth/me'))).toHaveLength(1);
    expect(stores.session.getState().status).toBe('signed-out');
    expect(stores.session.getState().notice).toBe(
      'Who is signed in could not be checked: internal',
    );
    // Kept: the login may well be fine once the server is.
    expect(localStorage.getItem(KEY)).not.toBeNull();
  });
});

describe('start-up (desktop, server reachable)', () => {
  afterEach(() => {
    delete window.fleetline;
    vi.unstubAllGlobals();
  });

  it('does not ask who is signed in without a kept login: a desktop page has no cookie login', async () => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', (input: string) => {
      asked.push(input);
      return Promise.resolve(
        input.endsWith('/api/config')
          ? Response.json({ map: { mapboxToken: null, styleUrl: null }, version: '1' })
          : Response.json({ type: '/problems/unauthenticated', status: 401 }, { status: 401 }),
      );
    });
    window.fleetline = fakeBridge({ session: null, picture: null }).bridge;
    const { stores } = await bootstrap();
    expect(stores.session.getState()).toMatchObject({ status: 'signed-out', notice: null });
    expect(asked.filter((url) => url.includes('/api/auth/me'))).toEqual([]);
  });
});
