import { z } from 'zod';
import {
  CurrentUserSchema,
  FleetEventSchema,
  FleetSchema,
  VehicleSnapshotSchema,
} from '@fleetline/protocol';

/**
 * The desktop bridge between the renderer and the main process, declared
 * once: every channel's request and response schema. The main process
 * validates each request and its own answer; the preload validates the
 * answer again before the renderer sees it.
 */

export const SettingsSchema = z.object({
  /** Where the desktop console finds the server (the web console uses its own origin). */
  serverUrl: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
  /** Show a system notification for alarms (overspeed, new trouble code, vehicle offline). */
  notifications: z.boolean(),
  /** Fleets the dispatcher narrowed the view to; null: every fleet they may see. */
  fleetIds: z.array(z.number().int()).max(1000).nullable(),
  layout: z.object({
    sidebarWidth: z.number().int().min(200).max(800),
    panelWidth: z.number().int().min(280).max(900),
    panelTab: z.enum(['live', 'history', 'events']),
  }),
  /** Last map view, so the console reopens where it was. */
  mapView: z
    .object({
      lon: z.number().min(-180).max(180),
      lat: z.number().min(-90).max(90),
      zoom: z.number().min(0).max(24),
    })
    .nullable(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = SettingsSchema.partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: 'http://127.0.0.1:8080',
  notifications: true,
  fleetIds: null,
  layout: { sidebarWidth: 320, panelWidth: 400, panelTab: 'live' },
  mapView: null,
};

/** A login kept by the desktop console between runs (encrypted at rest when the OS allows). */
export const StoredSessionSchema = z.object({
  serverUrl: z.string().min(1),
  token: z.string().min(1).max(512),
  expiresAt: z.number().int(),
  /** Who signed in: shown while the server is out of reach. */
  user: CurrentUserSchema,
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

/** The last known picture: what the console shows, marked stale, when the server is out of reach. */
export const LastPictureSchema = z.object({
  serverUrl: z.string().min(1),
  /** Whose picture it is (null: not known, saved by an older console): shown to no one else. */
  userId: z.number().int().nullable(),
  savedAt: z.number().int(),
  /** When the newest data in it was received from the server. */
  receivedAt: z.number().int(),
  fleets: z.array(FleetSchema),
  vehicles: z.array(VehicleSnapshotSchema),
  events: z.array(FleetEventSchema).max(2000),
});
export type LastPicture = z.infer<typeof LastPictureSchema>;

export const NotificationRequestSchema = z.object({
  title: z.string().min(1).max(200),
  body: z.string().max(1000),
  /** Notifications with the same tag replace each other (one per vehicle and kind). */
  tag: z.string().max(200).optional(),
});
export type NotificationRequest = z.infer<typeof NotificationRequestSchema>;

export const SaveFileRequestSchema = z.object({
  suggestedName: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^/\\:*?"<>|]+$/, 'must be a plain file name'),
  content: z.string().max(200 * 1024 * 1024),
  filterName: z.string().min(1).max(100),
  extensions: z.array(z.string().regex(/^[a-z0-9]{1,10}$/)).min(1),
});
export type SaveFileRequest = z.infer<typeof SaveFileRequestSchema>;

export const SaveFileResultSchema = z.object({
  saved: z.boolean(),
  path: z.string().nullable(),
});
export type SaveFileResult = z.infer<typeof SaveFileResultSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  electron: z.string(),
  /** False when the OS offers no keychain: the session is then not kept between runs. */
  secureStorage: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

const none = z.undefined();
const done = z.null();

/** Every IPC channel: name, request schema, response schema. */
export const IPC_CHANNELS = {
  'app:info': { request: none, response: AppInfoSchema },
  'settings:get': { request: none, response: SettingsSchema },
  'settings:update': { request: SettingsPatchSchema, response: SettingsSchema },
  'session:load': { request: none, response: StoredSessionSchema.nullable() },
  'session:save': { request: StoredSessionSchema.nullable(), response: done },
  'picture:load': { request: z.string().min(1), response: LastPictureSchema.nullable() },
  'picture:save': { request: LastPictureSchema, response: done },
  'notification:show': { request: NotificationRequestSchema, response: z.boolean() },
  'file:save': { request: SaveFileRequestSchema, response: SaveFileResultSchema },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export type IpcChannel = keyof typeof IPC_CHANNELS;
export type IpcRequest<C extends IpcChannel> = z.input<(typeof IPC_CHANNELS)[C]['request']>;
export type IpcParsedRequest<C extends IpcChannel> = z.output<(typeof IPC_CHANNELS)[C]['request']>;
export type IpcResponse<C extends IpcChannel> = z.output<(typeof IPC_CHANNELS)[C]['response']>;

/** Errors cross the process boundary as data, never as stack traces. */
export const IpcErrorTypeSchema = z.enum(['invalid-request', 'invalid-response', 'failed']);
export const IpcReplySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ type: IpcErrorTypeSchema, message: z.string() }),
  }),
]);
export type IpcReply = z.infer<typeof IpcReplySchema>;

export class IpcError extends Error {
  constructor(
    readonly type: z.infer<typeof IpcErrorTypeSchema>,
    message: string,
  ) {
    super(message);
    this.name = 'IpcError';
  }
}

/**
 * What the preload exposes to the renderer as `window.fleetline`. The
 * preload's object is declared `satisfies DesktopBridge`, so the two cannot
 * drift apart.
 */
export interface DesktopBridge {
  readonly kind: 'desktop';
  appInfo(): Promise<AppInfo>;
  getSettings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;
  loadSession(): Promise<StoredSession | null>;
  saveSession(session: StoredSession | null): Promise<void>;
  loadPicture(serverUrl: string): Promise<LastPicture | null>;
  savePicture(picture: LastPicture): Promise<void>;
  showNotification(notification: NotificationRequest): Promise<boolean>;
  saveFile(request: SaveFileRequest): Promise<SaveFileResult>;
}

/** The renderer's origin in the desktop app (a privileged scheme, see main/app-protocol.ts). */
export const APP_SCHEME = 'fleetline';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
