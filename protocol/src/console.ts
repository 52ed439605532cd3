import { z } from 'zod';
import { ErrorPayloadSchema } from './errors.js';
import { FleetEventSchema } from './events.js';
import { BboxSchema } from './geo.js';
import { DbIdSchema, MAX_DB_ID } from './text.js';
import { FleetSchema, VehicleSnapshotSchema, VehicleUpdateSchema } from './vehicles.js';

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
  /** Highest event id the console has (0: none); newer events are replayed on connect. */
  lastEventId: z.number().int().min(0).max(MAX_DB_ID).optional(),
  /** Start narrowed to these fleets (each must be visible to the user). */
  fleetIds: z.array(DbIdSchema).max(1000).optional(),
});
export type ConsoleAuth = z.infer<typeof ConsoleAuthSchema>;

/** Narrows what a console receives. `null` widens back to everything visible. */
export const ConsoleSubscriptionSchema = z.object({
  fleetIds: z.array(DbIdSchema).max(1000).nullable().optional(),
  viewport: BboxSchema.nullable().optional(),
});
export type ConsoleSubscription = z.infer<typeof ConsoleSubscriptionSchema>;

export const FleetSnapshotMessageSchema = z.object({
  cursor: FeedCursorSchema,
  /**
   * True: `vehicles` is the complete visible set and replaces what the console
   * holds. False: a catch-up after a resume, holding only vehicles that changed.
   */
  full: z.boolean(),
  fleets: z.array(FleetSchema),
  vehicles: z.array(VehicleSnapshotSchema),
  /** With `full: false`: every vehicle still visible; drop any other the console holds. */
  vehicleIds: z.array(z.number().int()).optional(),
  serverTime: z.number().int(),
});
export type FleetSnapshotMessage = z.infer<typeof FleetSnapshotMessageSchema>;

export const VehicleUpdatesMessageSchema = z.object({
  cursor: FeedCursorSchema,
  updates: z.array(VehicleUpdateSchema),
  /** Vehicles that became visible (entered the viewport, joined a fleet): complete snapshots. */
  added: z.array(VehicleSnapshotSchema).optional(),
  /** Vehicles no longer visible to this console. */
  removed: z.array(z.number().int()).optional(),
});
export type VehicleUpdatesMessage = z.infer<typeof VehicleUpdatesMessageSchema>;

export const FleetEventsMessageSchema = z.object({
  events: z.array(FleetEventSchema),
  /** True for events replayed on connect (missed while away), not happening now. */
  replay: z.boolean().optional(),
  /**
   * On a replay: more events were missed than a replay carries. These are
   * the newest, oldest first; the older ones are in `GET /api/events`.
   */
  truncated: z.boolean().optional(),
});
export type FleetEventsMessage = z.infer<typeof FleetEventsMessageSchema>;

export const SubscribeReplySchema = z.union([
  z.object({ ok: z.literal(true), vehicles: z.number().int() }),
  ErrorPayloadSchema,
]);
export type SubscribeReply = z.infer<typeof SubscribeReplySchema>;

export interface ConsoleToServerEvents {
  subscribe: (subscription: ConsoleSubscription, ack: (reply: SubscribeReply) => void) => void;
}

export interface ServerToConsoleEvents {
  snapshot: (message: FleetSnapshotMessage) => void;
  vehicles: (message: VehicleUpdatesMessage) => void;
  events: (message: FleetEventsMessage) => void;
}
