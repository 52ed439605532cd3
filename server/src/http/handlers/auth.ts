import type { Request, Response } from 'express';
import { LoginRequestSchema, SESSION_COOKIE } from '@fleetline/protocol';
import type { AuthService } from '../../services/auth-service.js';
import { parseOrThrow } from '../../services/validation.js';
import { currentUser, requestToken } from '../authenticate.js';

export function authHandlers(deps: { auth: AuthService; onLogout: (sessionId: number) => void }) {
  return {
    login: async (req: Request, res: Response) => {
      const { email, password } = parseOrThrow(LoginRequestSchema, req.body);
      const session = await deps.auth.login(email, password);
      // A browser console authenticates with this cookie; the desktop app and API clients use the token.
      res.cookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: '/',
        expires: new Date(session.expiresAt),
      });
      res.json(session);
    },

    logout: async (req: Request, res: Response) => {
      const user = currentUser(res);
      const token = requestToken(req);
      if (token) await deps.auth.logout(token);
      deps.onLogout(user.sessionId);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.status(204).end();
    },

    me: (_req: Request, res: Response) => {
      const { sessionId: _session, ...user } = currentUser(res);
      res.json(user);
    },
  };
}
