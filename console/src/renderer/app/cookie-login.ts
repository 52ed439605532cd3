/**
 * Whether this browser may hold a web console login. The login itself is the
 * server's HttpOnly cookie, which the page cannot see; asking the server
 * (`/api/auth/me`) without one can only get a 401, which the browser logs as
 * a failed request on every start before sign-in, where nothing failed. So
 * the page keeps when the login it made ends (the cookie's own expiry: not a
 * secret, and never the token) and asks only while that is in the future.
 *
 * In `localStorage`, like the cookie shared by the tabs of this origin: a
 * sign-in or sign-out in one holds for all.
 */
const KEY = 'fleetline.console.cookie-login-until';

export function rememberCookieLogin(storage: Storage, expiresAt: number): void {
  try {
    storage.setItem(KEY, String(expiresAt));
  } catch {
    // Storage disabled: the next start asks the server, as cookieLoginMayExist says.
  }
}

export function forgetCookieLogin(storage: Storage): void {
  try {
    storage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}

/**
 * False when this browser made no login that is still valid. Where storage
 * cannot be read, true: the server is asked rather than a live login ignored.
 */
export function cookieLoginMayExist(storage: Storage, now: number): boolean {
  let raw: string | null;
  try {
    raw = storage.getItem(KEY);
  } catch {
    return true;
  }
  const until = raw === null ? NaN : Number(raw);
  if (Number.isFinite(until) && until > now) return true;
  if (raw !== null) forgetCookieLogin(storage);
  return false;
}
