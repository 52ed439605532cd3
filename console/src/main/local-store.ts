import Database from 'better-sqlite3';
import { z } from 'zod';
import { FleetEventSchema, FleetSchema, VehicleSnapshotSchema } from '@fleetline/protocol';
import type { FleetEvent } from '@fleetline/protocol';
import { DEFAULT_SETTINGS, SettingsSchema, StoredSessionSchema } from '../shared/ipc.js';
import type { MapSettings } from './csp.js';
import { WindowStateSchema } from './window-state.js';
import type { WindowState } from './window-state.js';
import type { LastPicture, Settings, SettingsPatch, StoredSession } from '../shared/ipc.js';

/** Encrypts the session token at rest (Electron's safeStorage; a fake in tests). */
export interface SecretBox {
  available(): boolean;
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

/** Events kept per server for the last known picture. */
export const MAX_STORED_EVENTS = 2000;

const SCHEMA_VERSION = 2;

const MapSettingsSchema = z.object({
  mapboxToken: z.string().nullable(),
  styleUrl: z.string().nullable(),
});
/** Map settings belong to the server that handed them out (by origin, as the CSP sees it). */
const StoredMapSettingsSchema = z.object({
  serverOrigin: z.string(),
  map: MapSettingsSchema,
});

/**
 * The desktop console's local store (SQLite in the user's profile, main
 * process only): settings and layout, the login, and the last known picture
 * (fleets, vehicles, recent events) so the console can open with it when the
 * server is out of reach. Everything read back is validated: a damaged or
 * older file gives defaults, never a crash.
 */
export class LocalStore {
  readonly #db: Database.Database;

  constructor(
    filename: string,
    private readonly secrets: SecretBox,
    private readonly log: (message: string, error?: unknown) => void = () => {},
  ) {
    this.#db = new Database(filename);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#migrate();
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version >= SCHEMA_VERSION) return;
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS picture (
        server_url TEXT PRIMARY KEY,
        saved_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        fleets TEXT NOT NULL,
        vehicles TEXT NOT NULL,
        user_id INTEGER
      );
      CREATE TABLE IF NOT EXISTS events (
        server_url TEXT NOT NULL,
        id INTEGER NOT NULL,
        t INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (server_url, id)
      );
    `);
    // Version 1 did not know whose picture it was: such a picture belongs to no one.
    const columns = this.#db.pragma('table_info(picture)') as { name: string }[];
    if (!columns.some((c) => c.name === 'user_id'))
      this.#db.exec('ALTER TABLE picture ADD COLUMN user_id INTEGER');
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  close(): void {
    this.#db.close();
  }

  getSettings(): Settings {
    const raw = this.#get('settings');
    if (raw === undefined) return structuredClone(DEFAULT_SETTINGS);
    const stored = parseJson(raw.toString());
    const parsed = SettingsSchema.safeParse({
      ...DEFAULT_SETTINGS,
      ...(typeof stored === 'object' && stored !== null ? stored : {}),
    });
    if (parsed.success) return parsed.data;
    this.log('stored settings are invalid: using defaults', parsed.error);
    return structuredClone(DEFAULT_SETTINGS);
  }

  updateSettings(patch: SettingsPatch): Settings {
    const next = SettingsSchema.parse({ ...this.getSettings(), ...patch });
    this.#set('settings', Buffer.from(JSON.stringify(next)));
    return next;
  }

  /**
   * Map settings last learnt from this server, for the CSP of the next start
   * while it is unreachable. Null for any other server: one server's map
   * provider is not another's.
   */
  getMapSettings(serverUrl: string): MapSettings | null {
    const raw = this.#get('map');
    const parsed = StoredMapSettingsSchema.safeParse(
      raw === undefined ? null : parseJson(raw.toString()),
    );
    return parsed.success && parsed.data.serverOrigin === serverOrigin(serverUrl)
      ? parsed.data.map
      : null;
  }

  setMapSettings(serverUrl: string, map: MapSettings): void {
    const stored = { serverOrigin: serverOrigin(serverUrl), map: MapSettingsSchema.parse(map) };
    this.#set('map', Buffer.from(JSON.stringify(stored)));
  }

  /** Where the window was when it was last moved, resized or closed; null if never (or damaged). */
  getWindowState(): WindowState | null {
    const raw = this.#get('window');
    const parsed = WindowStateSchema.safeParse(
      raw === undefined ? null : parseJson(raw.toString()),
    );
    return parsed.success ? parsed.data : null;
  }

  setWindowState(state: WindowState): void {
    this.#set('window', Buffer.from(JSON.stringify(WindowStateSchema.parse(state))));
  }

  /** The kept login, or null (none, expired, or it cannot be decrypted on this machine). */
  loadSession(now = Date.now()): StoredSession | null {
    const sealed = this.#get('session');
    if (sealed === undefined || !this.secrets.available()) return null;
    try {
      const session = StoredSessionSchema.parse(JSON.parse(this.secrets.decrypt(sealed)));
      return session.expiresAt > now ? session : null;
    } catch (err) {
      this.log('the stored session cannot be read: forgetting it', err);
      this.#delete('session');
      return null;
    }
  }

  /** Keeps the login only where the OS can encrypt it; never as plain text. */
  saveSession(session: StoredSession | null): boolean {
    if (session === null || !this.secrets.available()) {
      this.#delete('session');
      return session === null;
    }
    this.#set('session', this.secrets.encrypt(JSON.stringify(StoredSessionSchema.parse(session))));
    return true;
  }

  savePicture(picture: LastPicture): void {
    const insertEvent = this.#db.prepare(
      'INSERT OR REPLACE INTO events (server_url, id, t, body) VALUES (?, ?, ?, ?)',
    );
    this.#db.transaction(() => {
      // Events pile up across saves: another user's picture must not inherit them.
      const previous = this.#db
        .prepare('SELECT user_id FROM picture WHERE server_url = ?')
        .get(picture.serverUrl) as { user_id: number | null } | undefined;
      if (!previous || previous.user_id === null || previous.user_id !== picture.userId)
        this.#db.prepare('DELETE FROM events WHERE server_url = ?').run(picture.serverUrl);
      this.#db
        .prepare(
          `INSERT INTO picture (server_url, user_id, saved_at, received_at, fleets, vehicles)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (server_url) DO UPDATE SET user_id = excluded.user_id,
             saved_at = excluded.saved_at, received_at = excluded.received_at,
             fleets = excluded.fleets, vehicles = excluded.vehicles`,
        )
        .run(
          picture.serverUrl,
          picture.userId,
          picture.savedAt,
          picture.receivedAt,
          JSON.stringify(picture.fleets),
          JSON.stringify(picture.vehicles),
        );
      for (const event of picture.events)
        insertEvent.run(picture.serverUrl, event.id, event.t, JSON.stringify(event));
      this.#db
        .prepare(
          `DELETE FROM events WHERE server_url = ? AND id NOT IN
             (SELECT id FROM events WHERE server_url = ? ORDER BY id DESC LIMIT ?)`,
        )
        .run(picture.serverUrl, picture.serverUrl, MAX_STORED_EVENTS);
    })();
  }

  loadPicture(serverUrl: string): LastPicture | null {
    const row = this.#db
      .prepare(
        'SELECT user_id, saved_at, received_at, fleets, vehicles FROM picture WHERE server_url = ?',
      )
      .get(serverUrl) as
      | {
          user_id: number | null;
          saved_at: number;
          received_at: number;
          fleets: string;
          vehicles: string;
        }
      | undefined;
    if (!row) return null;
    const fleets = z.array(FleetSchema).safeParse(parseJson(row.fleets));
    const vehicles = z.array(VehicleSnapshotSchema).safeParse(parseJson(row.vehicles));
    if (!fleets.success || !vehicles.success) {
      this.log('the stored picture is damaged: ignoring it');
      return null;
    }
    const events: FleetEvent[] = [];
    const rows = this.#db
      .prepare('SELECT body FROM events WHERE server_url = ? ORDER BY id DESC LIMIT ?')
      .all(serverUrl, MAX_STORED_EVENTS) as { body: string }[];
    for (const { body } of rows) {
      const event = FleetEventSchema.safeParse(parseJson(body));
      if (event.success) events.push(event.data);
    }
    return {
      serverUrl,
      userId: row.user_id,
      savedAt: row.saved_at,
      receivedAt: row.received_at,
      fleets: fleets.data,
      vehicles: vehicles.data,
      events,
    };
  }

  #get(key: string): Buffer | undefined {
    const row = this.#db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as
      { value: Buffer | string } | undefined;
    if (!row) return undefined;
    return Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value);
  }

  #set(key: string, value: Buffer): void {
    this.#db
      .prepare(
        `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value, Date.now());
  }

  #delete(key: string): void {
    this.#db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }
}

function serverOrigin(serverUrl: string): string {
  try {
    return new URL(serverUrl).origin;
  } catch {
    return serverUrl;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
