/** Map settings as the server hands them out (GET /api/config). */
export interface MapSettings {
  mapboxToken: string | null;
  styleUrl: string | null;
}

/** Origins the map engine fetches from, as the server's own CSP allows them. */
export function mapOrigins(map: MapSettings | null): string[] {
  const origins: string[] = [];
  if (map?.mapboxToken) origins.push('https://api.mapbox.com', 'https://events.mapbox.com');
  if (map?.styleUrl) {
    try {
      origins.push(new URL(map.styleUrl).origin);
    } catch {
      // An unparsable style URL adds nothing: the map then fails to load it, visibly.
    }
  }
  return origins;
}

/**
 * The desktop renderer's Content-Security-Policy: the same rules as the web
 * console's (server/src/http/console-site.ts), with the configured server as
 * the only place to talk to, since the bundled renderer's own origin
 * (fleetline://app) serves files only.
 */
export function desktopCsp(serverUrl: string, map: MapSettings | null): string {
  const server = new URL(serverUrl);
  const socket = `${server.protocol === 'https:' ? 'wss:' : 'ws:'}//${server.host}`;
  const connect = ["'self'", server.origin, socket, ...mapOrigins(map)];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}
