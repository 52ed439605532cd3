import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeSource } from '../src/clock/time-source.js';
import { CompanionConfigSchema } from '../src/config/schema.js';
import type { UplinkConfig } from '../src/config/schema.js';
import { Outbox, tokenHash } from '../src/outbox/outbox.js';
import type { SampleDraft } from '../src/outbox/samples.js';
import { Uplink } from '../src/uplink/uplink.js';
import { createLogger } from '../src/util/logger.js';
import {
  eventually,
  normalised,
  registerVehicle,
  startTestServer,
  storedSamples,
} from './support/server.js';
import type { TestServer } from './support/server.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const UPLINK: UplinkConfig = {
  ...CompanionConfigSchema.shape.uplink.parse(undefined),
  reconnectMinS: 0.1,
  reconnectMaxS: 0.5,
  sendIntervalMs: 50,
  replacedRetryS: 3600,
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<TestServer> {
  const s = await startTestServer();
  cleanups.push(async () => {
    await s.stop().catch(() => undefined);
    fs.rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}

function outbox(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-uplink-'))): Outbox {
  const o = Outbox.open({
    file: path.join(dir, 'outbox.sqlite'),
    maxBytes: 64 << 20,
    synchronous: 'NORMAL',
    logger,
    journal: true,
  });
  cleanups.push(() => {
    o.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return o;
}

function uplink(
  url: string,
  token: string,
  box: Outbox,
  config: Partial<UplinkConfig> = {},
): Uplink {
  const u = new Uplink({
    url,
    token,
    config: { ...UPLINK, ...config },
    outbox: box,
    time: new TimeSource({ maxDriftMs: 2000 }),
    logger,
  });
  cleanups.push(() => u.stop(1000));
  return u;
}

/** Starts an uplink for the outbox and waits until the server has acknowledged all it holds. */
async function streamUntilDrained(
  url: string,
  token: string,
  box: Outbox,
  what: string,
): Promise<Uplink> {
  const u = uplink(url, token, box);
  u.start();
  await eventually(() => (box.pending === 0 ? true : undefined), 10_000, what);
  return u;
}

/** Fills one leaf page of a table with garbage: open() reads no such page, a full read does. */
function corruptALeafOf(file: string, table: string): void {
  const db = new Database(file);
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const leaves = db
    .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .all(table) as { pageno: number }[];
  db.close();
  const page = leaves[Math.floor(leaves.length / 2)]?.pageno;
  if (page === undefined) throw new Error(`no leaf page of ${table}`);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  fs.closeSync(fd);
}

let t = Date.now() - 3_600_000;
function drafts(n: number, lat = 52.5): SampleDraft[] {
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 2
      ? { kind: 'reading' as const, t: (t += 100), pid: 13, part: 0, value: i, unit: 'km/h' }
      : {
          kind: 'position' as const,
          t: (t += 100),
          lat,
          lon: 13.4 + i / 1e5,
          speedKmh: 30,
          fixQuality: 'gps' as const,
        },
  );
}

describe('Uplink against the real server', () => {
  it('sends what the outbox holds and deletes it only once stored', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U1');
    const box = outbox();
    box.append(drafts(1200));
    const u = uplink(s.url, v.token, box);
    u.start();
    await eventually(() => (box.pending === 0 ? true : undefined), 15_000, 'the backlog to drain');
    box.append(drafts(7));
    u.notify();
    await eventually(() => (box.pending === 0 ? true : undefined), 5000, 'live samples');
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    expect(stored.map(normalised)).toEqual(box.journal().map((r) => normalised(r.sample)));
    expect(u.status()).toMatchObject({
      state: 'connected',
      deviceId: v.deviceId,
      vehicleId: v.vehicleId,
    });
  });

  it('renumbers the waiting samples of a reset outbox above what the server holds, so none is taken for a replay', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U2');
    const first = outbox();
    first.append(drafts(100, 50));
    const u1 = await streamUntilDrained(s.url, v.token, first, 'the first outbox to drain');
    await u1.stop();

    // A new SD card: the counter starts at 1 again, and 20 new samples wait.
    const fresh = outbox();
    fresh.append(drafts(20, 51));
    expect(fresh.lastAssignedSeq).toBe(20);
    const u2 = await streamUntilDrained(s.url, v.token, fresh, 'the fresh outbox to drain');
    const stored = storedSamples(s.dbFile, v.deviceId);
    expect(stored).toHaveLength(120);
    const renumbered = stored.filter((r) => r.seq > 100).sort((a, b) => a.seq - b.seq);
    expect(renumbered.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    expect(renumbered.map(normalised)).toEqual(fresh.journal().map((r) => normalised(r.sample)));
    expect(u2.status().sender).toMatchObject({ duplicates: 0, samplesStored: 20 });
    expect(fresh.stats().counters.renumbered).toBe(20);
  });

  it('renumbers a reset outbox that recorded more samples before its first hello than the server holds', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U7');
    const first = outbox();
    first.append(drafts(100, 50));
    const u1 = await streamUntilDrained(s.url, v.token, first, 'the first outbox to drain');
    await u1.stop();

    // A new SD card, and a long way before the network: 150 samples, numbered 1 to 150.
    const fresh = outbox();
    fresh.append(drafts(150, 51));
    expect(fresh.lastAssignedSeq).toBe(150);
    const u2 = await streamUntilDrained(s.url, v.token, fresh, 'the fresh outbox to drain');
    const stored = storedSamples(s.dbFile, v.deviceId);
    expect(stored).toHaveLength(250);
    const renumbered = stored.filter((r) => r.seq > 100).sort((a, b) => a.seq - b.seq);
    expect(renumbered.map((r) => r.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 101 + i));
    expect(renumbered.map(normalised)).toEqual(fresh.journal().map((r) => normalised(r.sample)));
    expect(u2.status().sender).toMatchObject({ duplicates: 0, samplesStored: 150 });
    expect(fresh.stats().counters.renumbered).toBe(150);

    // Once the numbering has been checked, a reconnect renumbers nothing: what waits was
    // numbered after the server's highest, and anything it holds of it is a true replay.
    fresh.append(drafts(5, 51));
    await u2.stop();
    await streamUntilDrained(s.url, v.token, fresh, 'the last five');
    expect(
      storedSamples(s.dbFile, v.deviceId)
        .map((r) => r.seq)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 255 }, (_, i) => i + 1));
    expect(fresh.stats().counters.renumbered).toBe(150);
  });

  it('renumbers what an outbox restored from a backup recorded before its first hello', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U8');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-uplink-'));
    const file = path.join(dir, 'outbox.sqlite');
    const backup = path.join(dir, 'backup.sqlite');
    const box = outbox(dir);
    box.append(drafts(100, 50));
    const u1 = await streamUntilDrained(s.url, v.token, box, 'the first hundred');
    await u1.stop();
    box.close();
    fs.copyFileSync(file, backup);

    // The outbox goes on to 150, all of it stored...
    const later = outbox(dir);
    later.append(drafts(50, 51));
    const u2 = await streamUntilDrained(s.url, v.token, later, 'fifty more');
    await u2.stop();
    later.close();

    // ...then the card is restored from the backup (counter at 100) and records 80 before the network is back.
    for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    fs.copyFileSync(backup, file);
    const restored = outbox(dir);
    expect(restored.lastAssignedSeq).toBe(100);
    restored.append(drafts(80, 52));
    const u3 = await streamUntilDrained(s.url, v.token, restored, 'the eighty');
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
    expect(stored.slice(150).map(normalised)).toEqual(
      restored
        .journal()
        .filter((r) => r.seq > 150)
        .map((r) => normalised(r.sample)),
    );
    expect(u3.status().sender).toMatchObject({ duplicates: 0, samplesStored: 80 });
  });

  it('keeps the numbers of what a restored backup held, the server past it and this outbox on record: nothing stored twice', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U10');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-uplink-'));
    const file = path.join(dir, 'outbox.sqlite');
    const backup = path.join(dir, 'backup.sqlite');
    const box = outbox(dir);
    box.append(drafts(100, 50));
    const u1 = await streamUntilDrained(s.url, v.token, box, 'the first hundred');
    await u1.stop();
    // Thirty more recorded offline, and the card backed up with them waiting.
    box.append(drafts(30, 51));
    box.close();
    fs.copyFileSync(file, backup);

    // The outbox sends them (101..130) and fifty more (to 180)...
    const later = outbox(dir);
    later.append(drafts(50, 52));
    const u2 = await streamUntilDrained(s.url, v.token, later, 'eighty more');
    await u2.stop();
    later.close();

    // ...then the card is restored: 101..130 waiting again, and twenty recorded before the network.
    for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    fs.copyFileSync(backup, file);
    const restored = outbox(dir);
    expect(restored.lastAssignedSeq).toBe(130);
    restored.append(drafts(20, 53));
    const u3 = await streamUntilDrained(s.url, v.token, restored, 'the restored outbox');
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // Each sample once: renumbered, what the backup held would have been stored a second time.
    expect(new Set(stored.map((r) => r.t)).size).toBe(200);
    expect(stored.slice(180).map(normalised)).toEqual(
      restored
        .journal()
        .filter((r) => r.seq > 180)
        .map((r) => normalised(r.sample)),
    );
    expect(u3.status().sender).toMatchObject({ duplicates: 30, samplesStored: 20 });
  });

  it('renumbers what waits when another outbox sent with the token last, the server not past this one’s counter', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U11');
    const box = outbox();
    box.append(drafts(100, 50));
    const u1 = await streamUntilDrained(s.url, v.token, box, 'the first hundred');
    await u1.stop();
    // Offline, this outbox numbers 101..500; meanwhile another card sends fifty with the token (101..150).
    box.append(drafts(400, 51));
    const other = outbox();
    other.append(drafts(50, 52));
    const u2 = await streamUntilDrained(s.url, v.token, other, 'the other outbox');
    await u2.stop();

    const u3 = await streamUntilDrained(s.url, v.token, box, 'this outbox again');
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    // None of this outbox's 101..150 taken for a replay of the other's.
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 550 }, (_, i) => i + 1));
    expect(stored.slice(150).map(normalised)).toEqual(
      box
        .journal()
        .filter((r) => r.seq > 150)
        .map((r) => normalised(r.sample)),
    );
    expect(u3.status().sender).toMatchObject({ duplicates: 0, samplesStored: 400 });
  });

  it('survives an outbox corrupt mid-file: moves it aside, starts a new one, numbers above the server', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U9');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-uplink-'));
    const file = path.join(dir, 'outbox.sqlite');
    const box = outbox(dir);
    box.append(drafts(50));
    const u1 = await streamUntilDrained(s.url, v.token, box, 'the first fifty');
    await u1.stop();
    // Hours offline, then a page in the middle of the file goes bad (an SD card wearing out).
    box.append(drafts(3000));
    box.close();
    corruptALeafOf(file, 'samples');

    const damaged = outbox(dir);
    expect(damaged.pending).toBe(3000);
    const u2 = uplink(s.url, v.token, damaged);
    u2.start();
    await eventually(
      () => (fs.readdirSync(dir).some((f) => f.includes('.corrupt-')) ? true : undefined),
      10_000,
      'the outbox to be moved aside',
    );
    // Recording goes on in the new outbox, and what it records arrives exactly once.
    damaged.append(drafts(10, 53));
    u2.notify();
    await eventually(
      () => (damaged.pending === 0 && u2.status().state === 'connected' ? true : undefined),
      10_000,
      'the new samples to be delivered',
    );
    expect(damaged.stats().replacedWhileRunning).toMatchObject({
      movedTo: expect.stringContaining('.corrupt-') as string,
      unsent: expect.any(Number) as number,
    });
    const recorded = damaged.journal();
    expect(recorded).toHaveLength(10);
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    expect(new Set(stored.map((r) => r.seq)).size).toBe(stored.length);
    // Numbered above everything the server held: the last ten it stored, in their order.
    expect(stored.slice(-10).map(normalised)).toEqual(recorded.map((r) => normalised(r.sample)));
    expect(u2.status().lastError?.message).toMatch(/outbox/);
  });

  it('keeps samples through a server restart and delivers each exactly once', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U3');
    const box = outbox();
    const u = uplink(s.url, v.token, box);
    u.start();
    box.append(drafts(50));
    u.notify();
    await eventually(() => (box.pending === 0 ? true : undefined), 5000, 'first samples');
    await s.stop();
    box.append(drafts(300));
    u.notify();
    await eventually(
      () => (u.status().state === 'backoff' ? true : undefined),
      5000,
      'the uplink to notice',
    );
    expect(box.pending).toBe(300);
    await s.restart();
    await eventually(
      () => (box.pending === 0 ? true : undefined),
      15_000,
      'the backlog after the restart',
    );
    const stored = storedSamples(s.dbFile, v.deviceId).sort((a, b) => a.seq - b.seq);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 350 }, (_, i) => i + 1));
    expect(stored.map(normalised)).toEqual(box.journal().map((r) => normalised(r.sample)));
  });

  it('stops for good when the token is revoked while connected, and remembers it across restarts', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U4');
    const box = outbox();
    const u = uplink(s.url, v.token, box);
    u.start();
    await eventually(
      () => (u.status().state === 'connected' ? true : undefined),
      5000,
      'connected',
    );
    await s.server.accounts.revokeDevice(v.deviceId);
    await eventually(() => (u.status().state === 'refused' ? true : undefined), 5000, 'refused');
    expect(u.status().refusal).toMatchObject({ type: 'device-token-revoked' });
    const connects = u.status().connects;
    box.append(drafts(10));
    u.notify();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // No retry: still one session, nothing connected, the samples kept.
    expect(u.status()).toMatchObject({ state: 'refused', connects });
    expect(s.server.devices.connected).toBe(0);
    expect(box.pending).toBe(10);
    await u.stop();

    // The same token after a restart: refused without asking the server.
    const again = uplink(s.url, v.token, box);
    again.start();
    expect(again.status().state).toBe('refused');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s.server.devices.connected).toBe(0);

    // A new token for the vehicle connects and delivers what was kept.
    const replacement = await s.server.accounts.replaceDevice(v.vehicleId);
    const renewed = uplink(s.url, replacement.token, box);
    renewed.start();
    await eventually(
      () => (box.pending === 0 ? true : undefined),
      5000,
      'delivery with the new token',
    );
    expect(box.getRefusal()).toBeNull();
    expect(storedSamples(s.dbFile, replacement.id)).toHaveLength(10);
  });

  it('reports an unknown token as refused without retrying', async () => {
    const s = await server();
    const box = outbox();
    const u = uplink(s.url, `fld_${'Z'.repeat(43)}`, box);
    u.start();
    await eventually(() => (u.status().state === 'refused' ? true : undefined), 5000, 'refused');
    expect(u.status().refusal).toMatchObject({ type: 'device-token-invalid' });
    expect(box.getRefusal()?.type).toBe('device-token-invalid');
  });

  it('holds a refusal only against the server that gave it, once server.url is corrected', async () => {
    const right = await server();
    const other = await server();
    const v = await registerVehicle(right.server, 'U4b');
    const box = outbox();
    box.append(drafts(10));

    // Pointed at another Fleetline server, which does not know the token.
    const misdirected = uplink(`${other.url}/`, v.token, box);
    misdirected.start();
    await eventually(
      () => (misdirected.status().state === 'refused' ? true : undefined),
      5000,
      'refused by the other server',
    );
    await misdirected.stop();
    // Kept as origin and path, whatever the configuration's spelling.
    expect(box.getRefusal()).toMatchObject({
      type: 'device-token-invalid',
      tokenHash: tokenHash(v.token),
      serverUrl: other.url,
    });

    // Still the wrong server after a restart: not tried again.
    const again = uplink(other.url, v.token, box);
    again.start();
    expect(again.status().state).toBe('refused');
    await again.stop();

    // server.url corrected: the same token connects and delivers what was kept.
    const corrected = uplink(right.url, v.token, box);
    corrected.start();
    await eventually(() => (box.pending === 0 ? true : undefined), 5000, 'delivery');
    expect(box.getRefusal()).toBeNull();
    expect(storedSamples(right.dbFile, v.deviceId)).toHaveLength(10);
    await corrected.stop();

    // A record from before servers were kept holds for the token against any server.
    box.setRefusal({
      type: 'device-token-revoked',
      message: 'The device token was revoked',
      at: Date.now(),
      tokenHash: tokenHash(v.token),
    });
    const legacy = uplink(right.url, v.token, box);
    legacy.start();
    expect(legacy.status().state).toBe('refused');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(right.server.devices.connected).toBe(0);
  });

  it('settles a sample the server rejects (too far in the future) and never sends it again', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U5');
    const box = outbox();
    box.append([
      { kind: 'position', t: Date.now() - 1000, lat: 52.5, lon: 13.4, fixQuality: 'gps' },
      { kind: 'position', t: Date.now() + 3_600_000, lat: 52.5, lon: 13.4, fixQuality: 'gps' },
    ]);
    const u = uplink(s.url, v.token, box);
    u.start();
    await eventually(() => (box.pending === 0 ? true : undefined), 5000, 'settled');
    expect(u.status().sender).toMatchObject({ samplesStored: 1, rejected: 1, batchesSent: 1 });
    expect(box.recentRejections()).toMatchObject([{ seq: 2, field: 't' }]);
    expect(storedSamples(s.dbFile, v.deviceId).map((r) => r.seq)).toEqual([1]);
  });

  it('backs off for a long time when another companion takes the token over', async () => {
    const s = await server();
    const v = await registerVehicle(s.server, 'U6');
    const a = uplink(s.url, v.token, outbox());
    a.start();
    await eventually(
      () => (a.status().state === 'connected' ? true : undefined),
      5000,
      'first connected',
    );
    const b = uplink(s.url, v.token, outbox());
    b.start();
    await eventually(
      () => (a.status().state === 'replaced' ? true : undefined),
      5000,
      'first replaced',
    );
    expect(b.status().state).toBe('connected');
    const next = a.status().nextAttemptAt ?? 0;
    expect(next - Date.now()).toBeGreaterThan(3_500_000);
  });
});
