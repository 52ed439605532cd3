import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_SCHEME } from '../shared/ipc.js';

/** What the scheme registration needs from Electron's `protocol` (a fake in unit tests). */
export interface ProtocolLike {
  registerSchemesAsPrivileged(
    schemes: { scheme: string; privileges: Record<string, boolean> }[],
  ): void;
  handle(scheme: string, handler: (request: Request) => Promise<Response> | Response): void;
}

/**
 * The renderer is served from its own standard, secure scheme rather than
 * file://: it gets a real origin (fleetline://app) that the server's CORS
 * allows, fetch and CORS work, and the bundled files open with no server at
 * all, so the console shows its last known picture when the server is down.
 * Must run before the app is ready.
 */
export function registerAppScheme(protocol: ProtocolLike): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.pbf': 'application/x-protobuf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under `root` a request path names, or null if it would leave
 * `root`. Paths without an extension are the console's own routes: they get
 * index.html, as the web build does on the server.
 */
export function resolveRendererFile(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = path.extname(decoded) ? decoded : '/index.html';
  const file = path.resolve(root, `.${path.posix.normalize(relative)}`);
  const base = path.resolve(root);
  return file === base || file.startsWith(base + path.sep) ? file : null;
}

/** Serves the bundled renderer at fleetline://app/, with the CSP on every page. */
export function serveRenderer(
  protocol: ProtocolLike,
  rendererDir: string,
  csp: () => string,
): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'app' ? resolveRendererFile(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      const type = MIME[path.extname(file)] ?? 'application/octet-stream';
      const headers: Record<string, string> = {
        'content-type': type,
        'x-content-type-options': 'nosniff',
      };
      if (type.startsWith('text/html')) headers['content-security-policy'] = csp();
      return new Response(body, { status: 200, headers });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
