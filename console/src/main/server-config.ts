import { ConsoleConfigSchema } from '@fleetline/protocol';
import type { MapSettings } from './csp.js';

/**
 * Asks the server for its map settings (public, GET /api/config) so the
 * window's CSP can allow the map provider. Null when the server cannot be
 * reached or answers something else: the caller keeps what it knew.
 */
export async function fetchMapSettings(
  serverUrl: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 3000,
): Promise<MapSettings | null> {
  try {
    const res = await fetchImpl(new URL('/api/config', serverUrl), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return null;
    const parsed = ConsoleConfigSchema.safeParse(await res.json());
    return parsed.success ? parsed.data.map : null;
  } catch {
    return null;
  }
}
