import { createHash } from 'node:crypto';

/**
 * Records the outbox keeps in its meta table beside the samples, as JSON
 * under their keys: the counters, a refused token. Written in the same
 * transactions as the changes they count.
 */

export interface OutboxCounters {
  thinnedPositions: number;
  thinnedReadings: number;
  droppedOldest: number;
  refusedWhileFull: number;
  /** Events refused because events alone filled the whole bound, reserve included. */
  refusedEventsWhileFull: number;
  rejectedByServer: number;
  quarantined: number;
  renumbered: number;
}

export const ZERO_COUNTERS: OutboxCounters = {
  thinnedPositions: 0,
  thinnedReadings: 0,
  droppedOldest: 0,
  refusedWhileFull: 0,
  refusedEventsWhileFull: 0,
  rejectedByServer: 0,
  quarantined: 0,
  renumbered: 0,
};

export interface Refusal {
  type: 'device-token-invalid' | 'device-token-revoked';
  message: string;
  at: number;
  /** SHA-256 prefix of the refused token: a new token clears the refusal, the same one never retries. */
  tokenHash: string;
  /**
   * The server that refused it (serverKey): another server in the configuration
   * clears the refusal too, since a token one server does not know may be good at
   * another. Absent in a record from before servers were kept: it holds for any.
   */
  serverUrl?: string;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** A server as a refusal records it: origin and path, no trailing slash (https://fleet.example.com/fleet). */
export function serverKey(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * Whether a stored refusal is of this token by this server: then `run` does
 * not use the token. A record without a server matches on the token alone.
 */
export function refusalHolds(refusal: Refusal, token: string, serverUrl: string): boolean {
  if (refusal.tokenHash !== tokenHash(token)) return false;
  return typeof refusal.serverUrl !== 'string' || refusal.serverUrl === serverKey(serverUrl);
}

/** Who refused, for reports: the server recorded, or "the server" in a record from before they were. */
export function refuser(refusal: Refusal): string {
  return typeof refusal.serverUrl === 'string' ? refusal.serverUrl : 'the server';
}

/** A stored JSON value, or the fallback when there is none or it does not parse. */
export function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
