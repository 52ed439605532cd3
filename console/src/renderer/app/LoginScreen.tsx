import { useState } from 'react';
import type { FormEvent } from 'react';
import { CONSOLE_ROLES } from '@fleetline/protocol';
import { errorMessage } from '../api/errors';
import { ApiError } from '../api/errors';
import { useConsole, useSlice } from './context';

/** Sign-in. The desktop console also asks which server to use. */
export function LoginScreen() {
  const { api, platform, stores } = useConsole();
  const notice = useSlice(stores.session, (s) => s.notice);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [serverUrl, setServerUrl] = useState(() => platform.serverUrl());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (platform.kind === 'desktop' && serverUrl !== platform.serverUrl()) {
        await platform.updateSettings({ serverUrl });
        // Another server's picture is not this one's.
        stores.fleet.getState().clear();
        stores.events.getState().clear();
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
    } finally {
      setBusy(false);
    }
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
            autoFocus
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
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
