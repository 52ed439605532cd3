import { createStore } from 'zustand/vanilla';
import type { CurrentUser } from '@fleetline/protocol';

export interface SessionState {
  /**
   * `offline`: not signed in, and the server cannot be reached; the picture
   * saved on this computer is shown, read-only, until the dispatcher signs in.
   */
  status: 'checking' | 'signed-out' | 'signed-in' | 'offline';
  user: CurrentUser | null;
  /** Bearer token (desktop). The web console's token lives in an HttpOnly cookie instead. */
  token: string | null;
  expiresAt: number | null;
  /** Why the console is signed out, when it was not the dispatcher's choice. */
  notice: string | null;
  /** The e-mail to fill in on the sign-in screen (typed before a reload that switched server). */
  emailHint: string | null;
  /**
   * The user whose data the fleet and events stores hold (null: nobody known,
   * e.g. an older stored picture). Outlives the session on purpose: when the
   * same user signs in again after it ended, their open alarms stay.
   */
  dataUserId: number | null;

  signedIn(user: CurrentUser, token: string | null, expiresAt: number | null): void;
  signedOut(notice?: string | null, emailHint?: string | null): void;
  /** Shows the stored picture without a login (the server cannot be reached). */
  offline(): void;
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export function createSessionStore() {
  return createStore<SessionState>()((set) => ({
    status: 'checking',
    user: null,
    token: null,
    expiresAt: null,
    notice: null,
    emailHint: null,
    dataUserId: null,
    signedIn: (user, token, expiresAt) =>
      set({ status: 'signed-in', user, token, expiresAt, notice: null, emailHint: null }),
    signedOut: (notice = null, emailHint = null) =>
      set({ status: 'signed-out', user: null, token: null, expiresAt: null, notice, emailHint }),
    offline: () =>
      set({ status: 'offline', user: null, token: null, expiresAt: null, notice: null }),
  }));
}
