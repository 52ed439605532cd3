import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { RequestHandler, Router } from 'express';
import { AppError } from '../domain/errors.js';

/** Where the web console is served. */
export const CONSOLE_PATH = '/console';

/**
 * Content-Security-Policy of the web console: scripts only from this server;
 * map workers from blob: URLs (maplibre and mapbox start them so); network
 * to this server (API and sockets) and, when configured, the map provider.
 */
export function consoleCsp(mapOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ws: wss: ${mapOrigins.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The console's web build at /console (the same renderer the desktop app
 * bundles). Paths that are not files fall back to index.html, so the
 * console's own routes survive a reload. Not built: a clear 404.
 */
export function consoleSite(dir: string | null, mapOrigins: readonly string[]): Router {
  const router = express.Router();
  const csp = consoleCsp(mapOrigins);
  const headers: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
  router.get('/', (_req, res) => res.redirect(302, `${CONSOLE_PATH}/`));
  if (!dir || !fs.existsSync(path.join(dir, 'index.html'))) {
    router.use(CONSOLE_PATH, () => {
      throw new AppError(
        'not-found',
        'the web console is not built: run `npm run build` (or set CONSOLE_DIR)',
      );
    });
    return router;
  }
  router.use(
    CONSOLE_PATH,
    headers,
    express.static(dir, {
      index: 'index.html',
      // Hashed asset names change with every build; index.html must always be fresh.
      setHeaders: (res, file) => {
        res.setHeader(
          'Cache-Control',
          file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        );
      },
    }),
    (req, res, next) => {
      if (req.method !== 'GET' || path.extname(req.path)) {
        next();
        return;
      }
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(dir, 'index.html'));
    },
  );
  return router;
}
