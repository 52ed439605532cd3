import { createApiClient } from '../api/client';
import { ApiError, errorMessage } from '../api/errors';
import { createPlatform } from '../platform/platform';
import type { Platform } from '../platform/platform';
import { createConsoleStores } from './context';
import type { ConsoleServices } from './context';
import { cookieLoginMayExist, forgetCookieLogin } from './cookie-login';
import { takeLoginDraft } from './login-draft';

/**
 * Start-up: the platform (desktop or browser), the stores, the API client;
 * then the last known picture (desktop) and who is signed in. The console
 * opens with the stored picture, marked stale, even when the server cannot
 * be reached: with a kept login the feed brings it up to date once it can;
 * without one it is shown read-only until the dispatcher signs in.
 */
export async function bootstrap(platform?: Platform): Promise<ConsoleServices> {
  const resolved = platform ?? (await createPlatform());
  const stores = createConsoleStores();
  const settings = await resolved.settings();
  stores.ui.setState({ ...settings.layout, fleetIds: settings.fleetIds });
  const api = createApiClient({
    baseUrl: () => resolved.serverUrl(),
    token: () => stores.session.getState().token,
  });
  const services: ConsoleServices = { platform: resolved, api, stores };

  const picture = await resolved.loadPicture().catch(() => null);
  if (picture) {
    stores.fleet.getState().loadStored(picture);
    stores.events.getState().loadStored(picture.events);
    // Another user signing in does not see it (see `keepDataToItsUser`).
    stores.session.setState({ dataUserId: picture.userId });
  }

  await restoreSession(services);
  // The sign-in screen switched server and the window reloaded for it: carry on signing in.
  const draft = takeLoginDraft(window.sessionStorage, resolved.serverUrl());
  if (draft && stores.session.getState().status !== 'signed-in') {
    stores.session
      .getState()
      .signedOut(`Now using ${draft.serverUrl}. Enter your password to sign in.`, draft.email);
  }
  return services;
}

async function restoreSession({ platform, api, stores }: ConsoleServices): Promise<void> {
  const session = stores.session.getState();
  const stored = await platform.loadSession().catch(() => null);
  if (stored && stored.serverUrl === platform.serverUrl() && stored.expiresAt > Date.now()) {
    // Signed in on this machine before: trust it until the server says otherwise,
    // so the console is usable (stale) while the server is down.
    session.signedIn(stored.user, stored.token, stored.expiresAt);
    try {
      stores.session.setState({ user: await api.me() });
    } catch (err) {
      if (err instanceof ApiError && err.type === 'unauthenticated') {
        await platform.saveSession(null);
        session.signedOut('Your session has ended. Please sign in again.');
      }
    }
    return;
  }
  // The web console's login is its HttpOnly cookie: ask who it belongs to, but only
  // when this browser made one that has not expired. Without one the answer can only
  // be a 401, which the browser would log as an error on a start where nothing went
  // wrong. A desktop page never has a cookie login (it is not on the server's origin).
  if (platform.kind === 'web' && cookieLoginMayExist(window.localStorage, Date.now())) {
    try {
      session.signedIn(await api.me(), null, null);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.type === 'unauthenticated') {
        // Ended on the server before its time (signed out elsewhere, revoked).
        forgetCookieLogin(window.localStorage);
        session.signedOut('Your session has ended. Please sign in again.');
        return;
      }
      if (!unreachable(err)) {
        session.signedOut(`Who is signed in could not be checked: ${errorMessage(err)}`);
        return;
      }
      return signedOutOrOffline(stores);
    }
  }
  // Nobody to ask about: only whether the server can be reached (its public settings) decides.
  try {
    await api.config();
    session.signedOut(null);
  } catch (err) {
    if (unreachable(err)) signedOutOrOffline(stores);
    // It answered: the sign-in screen says what is wrong when it is used.
    else session.signedOut(null);
  }
}

function unreachable(err: unknown): boolean {
  return err instanceof ApiError && (err.type === 'network' || err.type === 'timeout');
}

/**
 * No login to trust, no server to sign in at: what this computer last saw beats
 * a sign-in screen that cannot work (read-only, marked stale, until the server is back).
 */
function signedOutOrOffline(stores: ConsoleServices['stores']): void {
  if (stores.fleet.getState().source === 'stored') stores.session.getState().offline();
  else stores.session.getState().signedOut('The server cannot be reached.');
}
