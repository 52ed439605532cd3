import { z } from 'zod';
import type { ErrorPayload } from './errors.js';
import { BboxSchema } from './geo.js';
import type { FleetEvent } from './events.js';
import type { Fleet, VehicleSnapshot, VehicleUpdate } from './vehicles.js';

/** socket.io namespace of the live console feed. */
export const CONSOLE_NAMESPACE = '/console';

/**
 * Where a console is in the feed. `epoch` changes when the server restarts;
 * `rev` is the highest vehicle revision the console has applied.
 */
export const FeedCursorSchema = z.object({
  epoch: z.string().min(1).max(64),
  rev: z.number().int().min(0),
});
export type FeedCursor = z.infer<typeof FeedCursorSchema>;

/** Handshake `auth` of a console connection. */
export const ConsoleAuthSchema = z.object({
  /** Session token from login; a browser on the same origin may rely on the cookie instead. */
  token: z.string().min(1).max(512).optional(),
  /** Present on a reconnect: the server sends only what changed since. */
  resume: FeedCursorSchema.optional(),
  /** Highest event id the console has; newer events are replayed on connect. */
  lastEventId: z.number().int().min(0).optional(),
  /** Start narrowed to these fleets (each must be visible to the user). */
  fleetIds: z.array(z.number().int()).max(1000).optional(),
});
export type ConsoleAuth = z.infer<typeof ConsoleAuthSchema>;

/** Narrows what a console receives. `null` widens back to everything visible. */
export const ConsoleSubscriptionSchema = z.object({
  fleetIds: z.array(z.number().int()).max(1000).nullable().optional(),
  viewport: BboxSchema.nullable().optional(),
});
export type ConsoleSubscription = z.infer<typeof ConsoleSubscriptionSchema>;

export interface FleetSnapshotMessage {
  cursor: FeedCursor;
  /**
   * True: `vehicles` is the complete visible set and replaces what the console
   * holds. False: a catch-up after a resume, holding only vehicles that changed.
   */
  full: boolean;
  fleets: Fleet[];
  vehicles: VehicleSnapshot[];
  /** With `full: false`: every vehicle still visible; drop any other the console holds. */
  vehicleIds?: number[];
  serverTime: number;
}

export interface VehicleUpdatesMessage {
  cursor: FeedCursor;
  updates: VehicleUpdate[];
  /** Vehicles that became visible (entered the viewport, joined a fleet): complete snapshots. */
  added?: VehicleSnapshot[];
  /** Vehicles no longer visible to this console. */
  removed?: number[];
}

export interface FleetEventsMessage {
  events: FleetEvent[];
}

export type SubscribeReply = { ok: true; vehicles: number } | ErrorPayload;

export interface ConsoleToServerEvents {
  subscribe: (subscription: ConsoleSubscription, ack: (reply: SubscribeReply) => void) => void;
}

export interface ServerToConsoleEvents {
  snapshot: (message: FleetSnapshotMessage) => void;
  vehicles: (message: VehicleUpdatesMessage) => void;
  events: (message: FleetEventsMessage) => void;
}
