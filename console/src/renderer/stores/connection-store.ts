import { createStore } from 'zustand/vanilla';

/**
 * - `connecting`: first attempt since sign-in
 * - `live`: connected, the picture is current
 * - `reconnecting`: the connection dropped; retrying with back-off
 * - `unauthorized`: the session ended (sign in again)
 * - `idle`: not signed in
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface ConnectionState {
  status: ConnectionStatus;
  /** When the status last changed (epoch ms). */
  since: number;
  attempt: number;
  /** Why the last attempt failed, as a person would read it. */
  lastError: string | null;
  /** Feed messages refused because they did not match the protocol. */
  rejectedMessages: number;
  lastRejection: string | null;
  /** Resyncs after a reconnect (full or partial snapshots). */
  resyncs: number;
  lastResync: { at: number; full: boolean; vehicles: number } | null;

  set(
    status: ConnectionStatus,
    now: number,
    detail?: { attempt?: number; error?: string | null },
  ): void;
  rejected(reason: string): void;
  resynced(at: number, full: boolean, vehicles: number): void;
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

export function createConnectionStore() {
  return createStore<ConnectionState>()((set) => ({
    status: 'idle',
    since: Date.now(),
    attempt: 0,
    lastError: null,
    rejectedMessages: 0,
    lastRejection: null,
    resyncs: 0,
    lastResync: null,
    set(status, now, detail = {}) {
      set((s) => ({
        status,
        since: s.status === status ? s.since : now,
        attempt: detail.attempt ?? (status === 'live' ? 0 : s.attempt),
        lastError:
          detail.error !== undefined ? detail.error : status === 'live' ? null : s.lastError,
      }));
    },
    rejected(reason) {
      set((s) => ({ rejectedMessages: s.rejectedMessages + 1, lastRejection: reason }));
    },
    resynced(at, full, vehicles) {
      set((s) => ({ resyncs: s.resyncs + 1, lastResync: { at, full, vehicles } }));
    },
  }));
}
