import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets (device tokens, session tokens): 256 random bits,
 * base64url, with a readable prefix so a leaked token is recognisable in logs
 * and by secret scanners. Only the SHA-256 of a token is stored.
 */
export type TokenKind = 'device' | 'session';

const PREFIX: Record<TokenKind, string> = { device: 'fld_', session: 'fls_' };

export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A cheap shape check before any database lookup. */
export function looksLikeToken(kind: TokenKind, token: string): boolean {
  return (
    token.startsWith(PREFIX[kind]) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(PREFIX[kind].length))
  );
}
