import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetEvent, VehicleSnapshot } from '@fleetline/protocol';
import { DEFAULT_SETTINGS } from '../shared/ipc.js';
import type { LastPicture } from '../shared/ipc.js';
import { LocalStore, MAX_STORED_EVENTS } from './local-store.js';
import type { SecretBox } from './local-store.js';

/** Reversible "encryption" that is visibly not the plain text. */
const box = (available = true): SecretBox => ({
  available: () => available,
  encrypt: (plain) => Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a) as Buffer,
  decrypt: (sealed) => Buffer.from(sealed.map((b) => b ^ 0x5a)).toString('utf8'),
});

const user = {
  id: 1,
  email: 'd@example.test',
  name: 'Dana',
  role: 'dispatcher' as const,
  fleetIds: [1],
};
const vehicle = (id: number): VehicleSnapshot => ({
  id,
  name: `Van ${id}`,
  plate: null,
  vin: null,
  fleetIds: [1],
  deviceId: id,
  driver: null,
  online: true,
  lastSeenAt: 5,
  overspeed: false,
  position: null,
  status: null,
  readings: [{ pid: 12, part: 0, t: 5, value: 900, unit: 'rpm' }],
  dtcs: [],
  rev: 3,
});
const event = (id: number): FleetEvent => ({
  id,
  vehicleId: 1,
  type: 'ignition_on',
  t: id,
  recordedAt: id,
  late: false,
  data: {},
});
const picture = (events: FleetEvent[] = [event(1)]): LastPicture => ({
  serverUrl: 'http://fleet.example',
  userId: 1,
  savedAt: 100,
  receivedAt: 90,
  fleets: [{ id: 1, name: 'City', overspeedLimitKmh: 50 }],
  vehicles: [vehicle(1), vehicle(2)],
  events,
});

describe('local store', () => {
  const dirs: string[] = [];
  const open = (secrets = box()) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-store-'));
    dirs.push(dir);
    const file = path.join(dir, 'console.sqlite');
    return { file, store: new LocalStore(file, secrets) };
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps settings and layout, merged over the defaults, across restarts', () => {
    const { file, store } = open();
    expect(store.getSettings()).toEqual(DEFAULT_SETTINGS);
    store.updateSettings({
      serverUrl: 'https://fleet.example',
      layout: { sidebarWidth: 300, panelWidth: 500, panelTab: 'history' },
    });
    store.close();
    const again = new LocalStore(file, box());
    expect(again.getSettings()).toMatchObject({
      serverUrl: 'https://fleet.example',
      layout: { panelTab: 'history' },
      notifications: true,
    });
    expect(() => again.updateSettings({ serverUrl: 'not a url' })).toThrow();
    again.close();
  });

  it('falls back to defaults when the stored settings are damaged', () => {
    const { file, store } = open();
    store.close();
    const db = new Database(file);
    db.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('settings', ?, 0)").run(
      Buffer.from('{"serverUrl": 42}'),
    );
    db.close();
    const again = new LocalStore(file, box());
    expect(again.getSettings()).toEqual(DEFAULT_SETTINGS);
    again.close();
  });

  it('keeps the session encrypted, forgets it when expired, and never stores it in plain text', () => {
    const { file, store } = open();
    const session = {
      serverUrl: 'http://fleet.example',
      token: 'fls_secret_token',
      expiresAt: 2_000,
      user,
    };
    expect(store.saveSession(session)).toBe(true);
    expect(store.loadSession(1_000)).toEqual(session);
    expect(store.loadSession(3_000)).toBeNull();
    store.close();
    expect(fs.readFileSync(file).includes(Buffer.from('fls_secret_token'))).toBe(false);

    const plain = open(box(false));
    expect(plain.store.saveSession(session)).toBe(false);
    expect(plain.store.loadSession(1_000)).toBeNull();
    plain.store.close();
  });

  it('keeps the last picture per server, with the newest events only', () => {
    const { store } = open();
    store.savePicture(picture([event(1), event(2)]));
    store.savePicture(
      picture(Array.from({ length: MAX_STORED_EVENTS + 5 }, (_, i) => event(i + 10))),
    );
    const loaded = store.loadPicture('http://fleet.example');
    expect(loaded?.vehicles.map((v) => v.id)).toEqual([1, 2]);
    expect(loaded?.vehicles[0]?.readings[0]?.value).toBe(900);
    expect(loaded?.receivedAt).toBe(90);
    expect(loaded?.events).toHaveLength(MAX_STORED_EVENTS);
    expect(loaded?.events[0]?.id).toBe(MAX_STORED_EVENTS + 14);
    expect(store.loadPicture('http://other.example')).toBeNull();
    store.close();
  });

  it("keeps whose picture it is, and never hands one user's events on to another", () => {
    const { store } = open();
    store.savePicture(picture([event(1), event(2)]));
    store.savePicture(picture([event(3)]));
    expect(store.loadPicture('http://fleet.example')?.userId).toBe(1);
    expect(store.loadPicture('http://fleet.example')?.events.map((e) => e.id)).toEqual([3, 2, 1]);
    store.savePicture({ ...picture([event(4)]), userId: 2 });
    const loaded = store.loadPicture('http://fleet.example');
    expect(loaded?.userId).toBe(2);
    expect(loaded?.events.map((e) => e.id)).toEqual([4]);
    store.close();
  });

  it('reads a picture stored before it said whose it was as nobody’s', () => {
    const { file, store: fresh } = open();
    fresh.close();
    fs.rmSync(file);
    const v1 = new Database(file);
    v1.exec(`
      CREATE TABLE picture (server_url TEXT PRIMARY KEY, saved_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL, fleets TEXT NOT NULL, vehicles TEXT NOT NULL);
      CREATE TABLE events (server_url TEXT NOT NULL, id INTEGER NOT NULL, t INTEGER NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (server_url, id));
      INSERT INTO picture VALUES ('http://fleet.example', 100, 90, '[]', '[]');
      PRAGMA user_version = 1;
    `);
    v1.prepare('INSERT INTO events VALUES (?, ?, ?, ?)').run(
      'http://fleet.example',
      1,
      1,
      JSON.stringify(event(1)),
    );
    v1.close();
    const store = new LocalStore(file, box());
    expect(store.loadPicture('http://fleet.example')).toMatchObject({ userId: null });
    store.savePicture(picture([event(2)]));
    expect(store.loadPicture('http://fleet.example')?.events.map((e) => e.id)).toEqual([2]);
    store.close();
  });

  it('ignores a damaged picture instead of failing', () => {
    const { file, store } = open();
    store.savePicture(picture());
    store.close();
    const db = new Database(file);
    db.prepare('UPDATE picture SET vehicles = \'[{"id": "x"}]\'').run();
    db.close();
    const again = new LocalStore(file, box());
    expect(again.loadPicture('http://fleet.example')).toBeNull();
    again.close();
  });

  it('keeps the window state across restarts, and ignores a damaged one', () => {
    const { file, store } = open();
    expect(store.getWindowState()).toBeNull();
    const state = {
      bounds: { x: -1600, y: 20, width: 1500, height: 900 },
      maximized: true,
      fullScreen: false,
    };
    store.setWindowState(state);
    store.close();
    const again = new LocalStore(file, box());
    expect(again.getWindowState()).toEqual(state);
    again.close();
    const db = new Database(file);
    db.prepare('UPDATE kv SET value = \'{"bounds":{"x":0}}\' WHERE key = \'window\'').run();
    db.close();
    const damaged = new LocalStore(file, box());
    expect(damaged.getWindowState()).toBeNull();
    damaged.close();
  });

  it('remembers the map settings learnt from a server, for that server only', () => {
    const { store } = open();
    expect(store.getMapSettings('https://fleet.example')).toBeNull();
    store.setMapSettings('https://fleet.example', { mapboxToken: 'pk.x', styleUrl: null });
    expect(store.getMapSettings('https://fleet.example/')).toEqual({
      mapboxToken: 'pk.x',
      styleUrl: null,
    });
    expect(store.getMapSettings('https://other.example')).toBeNull();
    expect(store.getMapSettings('http://fleet.example')).toBeNull();
    store.close();
  });
});
