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
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
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
