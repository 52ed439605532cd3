/**
 * What the dispatcher typed on the sign-in screen, kept across the reload
 * that switching server causes (desktop: the new server needs its own CSP,
 * which only a new page gets). The e-mail only: a password is never written
 * anywhere, so it is asked for again.
 */
export interface LoginDraft {
  /** The server the draft was typed for: a draft for another server is dropped. */
  serverUrl: string;
  email: string;
}

const KEY = 'fleetline.console.login-draft';

export function keepLoginDraft(storage: Storage, draft: LoginDraft): void {
  try {
    storage.setItem(KEY, JSON.stringify({ serverUrl: draft.serverUrl, email: draft.email }));
  } catch {
    // Storage disabled: the e-mail is typed again.
  }
}

export function dropLoginDraft(storage: Storage): void {
  try {
    storage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}

/** The draft for this server, removed as it is read (it serves one reload). */
export function takeLoginDraft(storage: Storage, serverUrl: string): LoginDraft | null {
  let raw: string | null;
  try {
    raw = storage.getItem(KEY);
    storage.removeItem(KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const draft = JSON.parse(raw) as Partial<LoginDraft>;
    return typeof draft.email === 'string' && draft.serverUrl === serverUrl
      ? { serverUrl, email: draft.email }
      : null;
  } catch {
    return null;
  }
}

/** scheme://host:port of a URL, or null when it is not one. */
export function urlOrigin(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
