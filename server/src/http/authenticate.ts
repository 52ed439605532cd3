import { parse as parseCookie } from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import { SESSION_COOKIE } from '@fleetline/protocol';
import type { Role } from '@fleetline/protocol';
import { AppError } from '../domain/errors.js';
import type { AuthenticatedUser } from '../services/access.js';
import type { AuthService } from '../services/auth-service.js';

/** Who may call a route. There is no default: every route states it. */
export type Access = 'public' | 'authenticated' | readonly Role[];

/** The session token of a request: `Authorization: Bearer`, else the session cookie. */
export function requestToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  const cookies = req.headers.cookie;
  return cookies ? parseCookie(cookies)[SESSION_COOKIE] : undefined;
}

export function currentUser(res: Response): AuthenticatedUser {
  const user = (res.locals as { user?: AuthenticatedUser }).user;
  if (!user) throw new Error('route declared public but reads the user');
  return user;
}

export function guard(access: Access, auth: AuthService): RequestHandler {
  if (access === 'public') return (_req, _res, next) => next();
  const allowed = access === 'authenticated' ? undefined : new Set(access);
  return async (req, res, next) => {
    const user = await auth.authenticate(requestToken(req));
    if (allowed && !allowed.has(user.role))
      throw new AppError('forbidden', `requires role ${[...allowed].join(' or ')}`);
    (res.locals as { user?: AuthenticatedUser }).user = user;
    next();
  };
}
