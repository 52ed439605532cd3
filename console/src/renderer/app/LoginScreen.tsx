import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { CONSOLE_ROLES } from '@fleetline/protocol';
import { errorMessage } from '../api/errors';
import { ApiError } from '../api/errors';
import { useConsole, useSlice } from './context';
import { rememberCookieLogin } from './cookie-login';
import { dropLoginDraft, keepLoginDraft, urlOrigin } from './login-draft';

/**
 * How long the sign-in screen waits for the main process to reload the
 * window for a new server before reloading it itself (the main process asks
 * the new server for its map settings first, for at most 3 s).
 */
export const SWITCH_RELOAD_FALLBACK_MS = 10_000;

/** Sign-in. The desktop console also asks which server to use. */
export function LoginScreen() {
  const { api, platform, stores } = useConsole();
  const notice = useSlice(stores.session, (s) => s.notice);
  const emailHint = useSlice(stores.session, (s) => s.emailHint);
  const hasStoredPicture = useSlice(stores.fleet, (s) => s.source === 'stored');
  const [email, setEmail] = useState(() => emailHint ?? '');
  const [password, setPassword] = useState('');
  const [serverUrl, setServerUrl] = useState(() => platform.serverUrl());
  const [busy, setBusy] = useState(false);
  const [switchingTo, setSwitchingTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fallback = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(fallback.current), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (platform.kind === 'desktop' && serverUrl !== platform.serverUrl()) {
        const target = serverUrl.trim().replace(/\/+$/, '');
        // This page may talk only to the server it was opened for (its CSP): another
        // server needs a new page, which the main process loads once the settings are saved.
        const switching = urlOrigin(target) !== urlOrigin(platform.serverUrl());
        if (switching) keepLoginDraft(window.sessionStorage, { serverUrl: target, email });
        try {
          await platform.updateSettings({ serverUrl: target });
        } catch (err) {
          dropLoginDraft(window.sessionStorage);
          throw err;
        }
        if (switching) {
          setSwitchingTo(target);
          fallback.current = setTimeout(() => window.location.reload(), SWITCH_RELOAD_FALLBACK_MS);
          return;
        }
      }
      const login = await api.login({ email, password });
      if (!(CONSOLE_ROLES as readonly string[]).includes(login.user.role)) {
        throw new ApiError('forbidden', 'This account may not use the dispatch console.');
      }
      if (platform.kind === 'desktop') {
        await platform.saveSession({
          serverUrl: platform.serverUrl(),
          token: login.token,
          expiresAt: login.expiresAt,
          user: login.user,
        });
      } else {
        // The login is the cookie the server just set: a reload asks who it belongs to.
        rememberCookieLogin(window.localStorage, login.expiresAt);
      }
      stores.session.getState().signedIn(login.user, login.token, login.expiresAt);
    } catch (err) {
      setError(
        err instanceof ApiError && err.type === 'invalid-credentials'
          ? 'The e-mail or the password is wrong.'
          : err instanceof ApiError && err.type === 'rate-limited'
            ? 'Too many attempts. Wait a few minutes, then try again.'
            : errorMessage(err),
      );
      setBusy(false);
    }
    // Signed in: this screen goes away. Switching server: it stays busy until the reload.
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          Fleetline <span className="muted">Console</span>
        </h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {platform.kind === 'desktop' && (
          <label>
            Server
            <input
              type="url"
              value={serverUrl}
              onChange={(e) => setServerUrl(e.target.value)}
              required
              autoComplete="url"
            />
          </label>
        )}
        <label>
          E-mail
          <input
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoComplete="username"
            autoFocus={!emailHint}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
            autoFocus={Boolean(emailHint)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {switchingTo && (
          <p className="muted" role="status" data-testid="switching-server">
            Connecting to {switchingTo}…
          </p>
        )}
        <button type="submit" disabled={busy}>
          {switchingTo ? 'Switching server…' : busy ? 'Signing in…' : 'Sign in'}
        </button>
        {hasStoredPicture && !switchingTo && (
          <button
            type="button"
            className="secondary"
            onClick={() => stores.session.getState().offline()}
          >
            Back to the picture saved on this computer
          </button>
        )}
      </form>
    </main>
  );
}
