import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createDemoFleet } from '@fleetline/hardware';
import type { TelemetrySampleInput } from '@fleetline/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CompanionProcess, killChildren } from '../support/process.js';
import type { LogLine } from '../support/process.js';
import { createRecordingRig, sentEpochs, servedReplies } from '../support/recording-rig.js';
import type { RecordingRig, ServedReply } from '../support/recording-rig.js';
import { ServerProcess, killServerProcesses } from '../support/server-process.js';
import {
  eventually,
  normalised,
  registerVehicle,
  startTestServer,
  storedSamples,
} from '../support/server.js';

/**
 * The issue's end-to-end test: the real server and the companion, each a
 * process of its own, the simulators behind real pseudo-terminals (socat).
 * Drive a route; stop the server (gracefully) mid-run; bring it back; SIGKILL
 * the companion while a batch awaits its ack; start it again; SIGKILL the
 * server with batches in flight; start it again on the same database. Then
 * compare what the server stored with the ground truth: every GPS epoch the
 * simulated receiver sent and every service 01 reply the simulated ELM327
 * served, recorded at the simulators' end of the cables, not what the
 * companion says it committed.
 *
 * What may be missing, and nothing else:
 * - what a device sent while no companion had its port open: before the
 *   first start, and from the SIGKILL until the new process opened the port
 *   (serialport flushes a tty's input when it opens it, so what the killed
 *   process left unread is discarded with it);
 * - of what was sent before the SIGKILL, what the killed process had not
 *   read yet: anything sent within READ_MS before the kill (bytes take a
 *   moment through socat and the event loop), which is at most one GPS
 *   epoch and the answer to the last OBD request it sent, all of that answer
 *   or none of it (one read, one transaction). The kill is timed halfway
 *   between two epochs, so in fact no epoch may be missing.
 * A companion that held reads in memory before committing them (as with
 * `storage.commitIntervalMs`) loses what it read just before the kill, and
 * fails here.
 */

let rig: RecordingRig | null = null;
const dirs: string[] = [];

afterEach(async () => {
  killChildren();
  killServerProcesses();
  await rig?.close();
  rig = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const msg = (text: string) => (line: LogLine) => line.msg === text;
type StoredSample = ReturnType<typeof storedSamples>[number];
/** What was sent this long before a SIGKILL may not have been read yet. */
const READ_MS = 100;

async function health(
  port: number,
): Promise<{ outbox: { pending: number; sink: { staged: number } }; uplink: { state: string } }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return (await response.json()) as {
    outbox: { pending: number; sink: { staged: number } };
    uplink: { state: string };
  };
}

describe('companion process against the real server process, on pseudo-terminals', () => {
  it(
    'stores every GPS epoch and OBD reply the simulators emitted exactly once and in order, through a server outage, a companion SIGKILL and a server SIGKILL',
    { timeout: 120_000 },
    async () => {
      // The vehicle is registered in-process; then the server runs as a process on that database.
      const setup = await startTestServer();
      dirs.push(setup.dir);
      const vehicle = await registerVehicle(setup.server, 'E2E 1');
      await setup.stop();
      const server = new ServerProcess(setup.dir, setup.port);
      await server.start();
      const dbFile = setup.dbFile;

      const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 5 });
      if (!car) throw new Error('no simulated car');
      rig = await createRecordingRig({
        vehicle: car,
        gpsHz: 5,
        vin: '1FLE2E00000000001',
        scenario: { troubleCodes: { stored: ['P0301'] } },
      });
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-e2e-'));
      dirs.push(dataDir);
      const configFile = path.join(dataDir, 'config.json');
      fs.writeFileSync(
        configFile,
        JSON.stringify({
          name: 'e2e',
          server: { url: server.url, token: vehicle.token },
          devices: {
            obd: { transport: 'serial', path: rig.obdPath, baudRate: 38400 },
            gps: { transport: 'serial', path: rig.gpsPath, baudRate: 9600 },
          },
          polling: { troubleCodesEveryS: 10, batteryEveryS: 5 },
          storage: { dataDir: path.join(dataDir, 'state'), journal: true },
          uplink: { sendIntervalMs: 200, reconnectMinS: 0.2, reconnectMaxS: 1 },
          health: { port: 0 },
          log: { level: 'debug' },
        }),
      );
      const outboxFile = path.join(dataDir, 'state', 'outbox.sqlite');

      // 1. Drive.
      let companion = new CompanionProcess(['run', '--config', configFile]);
      const gpsOpened = [await companion.waitForLog(msg('GPS receiver open'), 30_000)];
      const listening = await companion.waitForLog(msg('health endpoint listening'), 30_000);
      await companion.waitForLog(msg('uplink session started'));
      await eventually(
        () => (storedSamples(dbFile, vehicle.deviceId).length >= 100 ? true : undefined),
        30_000,
        '100 samples stored',
      );

      // 2. The server stops (SIGTERM, its graceful stop); samples pile up in the outbox.
      const beforeOutage = companion.logs.length;
      expect((await server.stop()).code).toBe(0);
      await companion.waitForLog(msg('uplink down; retrying'), 10_000, beforeOutage);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await health(Number(listening.port))).outbox.pending).toBeGreaterThan(25);

      // 3. It comes back with slow ingest ticks (a batch waits up to 2 s to be committed),
      //    so acks come late enough to kill either side between send and ack.
      const beforeRestart = companion.logs.length;
      await server.start({ INGEST_FLUSH_MS: '2000' });
      const session = await companion.waitForLog(
        msg('uplink session started'),
        30_000,
        beforeRestart,
      );
      const backlogFrom = Number(session.backlogFromSeq);
      const backlogThrough = Number(session.backlogThroughSeq);
      expect(backlogThrough - backlogFrom).toBeGreaterThan(25);
      await companion.waitForLog(msg('backlog drained'), 30_000, beforeRestart);

      // 4. SIGKILL the companion while a batch awaits its ack: right after an ack the server
      //    has just run an ingest tick, so the next batch waits up to 2 s for the next one.
      //    The kill comes halfway between two GPS epochs, when the last epoch has been read
      //    and the next is not sent yet: nothing the companion received may be lost.
      await companion.waitForLog(msg('batch acknowledged'), 10_000, companion.logs.length);
      const sent = await companion.waitForLog(msg('batch sent'), 10_000, companion.logs.length);
      const epochCount = rig.gps.sent.length;
      await eventually(
        () => (rig && rig.gps.sent.length > epochCount ? true : undefined),
        2000,
        'the next epoch',
      );
      const lastEpochAt = rig.gps.sent.at(-1)?.at ?? 0;
      await new Promise((resolve) => setTimeout(resolve, lastEpochAt + READ_MS - Date.now()));
      companion.child.kill('SIGKILL');
      const killedAt = Date.now();
      expect((await companion.exited).signal).toBe('SIGKILL');
      const killedFirst = Number(sent.first);
      const killedLast = Number(sent.last);
      // The batch was in flight, unacknowledged: still in the outbox.
      expect(pendingSeqs(outboxFile)).toEqual(expect.arrayContaining([killedFirst, killedLast]));
      // Whatever of it the server stores after all: its next ingest tick, at most 2 s away.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const storedBeforeRestart = new Set(
        storedSamples(dbFile, vehicle.deviceId).map((s) => s.seq),
      );

      // 5. Start the companion again: it resends, and the server recognises what it had.
      companion = new CompanionProcess(['run', '--config', configFile]);
      gpsOpened.push(await companion.waitForLog(msg('GPS receiver open'), 30_000));
      const again = await companion.waitForLog(msg('health endpoint listening'), 30_000);
      await companion.waitForLog(msg('uplink session started'));
      const resent = await companion.waitForLog(
        (l) =>
          l.msg === 'batch acknowledged' &&
          Number(l.first) <= killedFirst &&
          Number(l.last) >= killedLast,
        30_000,
      );
      const alreadyStored = [...storedBeforeRestart].filter(
        (seq) => seq >= Number(resent.first) && seq <= Number(resent.last),
      ).length;
      expect(Number(resent.duplicates)).toBe(alreadyStored);

      // 6. SIGKILL the server while a batch is in flight, then start it again on the same
      //    database. Right after an ack the server has just committed a tick, so the next
      //    batch waits up to 2 s for the next one: the kill comes well before.
      const beforeServerKill = companion.logs.length;
      await companion.waitForLog(msg('batch acknowledged'), 10_000, beforeServerKill);
      const inFlight = await companion.waitForLog(msg('batch sent'), 10_000, companion.logs.length);
      expect((await server.kill()).signal).toBe('SIGKILL');
      await companion.waitForLog(msg('uplink down; retrying'), 10_000, beforeServerKill);
      const storedWhileDown = new Set(storedSamples(dbFile, vehicle.deviceId).map((s) => s.seq));
      await server.start();
      await companion.waitForLog(msg('uplink session started'), 30_000, beforeServerKill);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      // 7. The devices fall silent; let the companion read what is in the cables, empty the
      //    outbox, and stop cleanly.
      rig.mute();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const port = Number(again.port);
      await eventually(
        async () => {
          const h = await health(port);
          return h.outbox.pending === 0 &&
            h.outbox.sink.staged === 0 &&
            h.uplink.state === 'connected'
            ? true
            : undefined;
        },
        30_000,
        'the outbox to empty',
      );
      companion.child.kill('SIGTERM');
      expect((await companion.exited).code).toBe(0);

      // 8. Compare. First with the companion's own journal: exactly once, same content, no gap.
      const journal = journalOf(outboxFile);
      const stored = storedSamples(dbFile, vehicle.deviceId);
      const bySeq = [...stored].sort((a, b) => a.seq - b.seq);
      expect(new Set(bySeq.map((s) => s.seq)).size).toBe(bySeq.length);
      expect(bySeq.map((s) => s.seq)).toEqual(journal.map((s) => s.seq));
      expect(bySeq.map(normalised)).toEqual(journal.map(normalised));
      expect(journal.map((s) => s.seq)).toEqual(
        Array.from({ length: journal.length }, (_, i) => i + 1),
      );
      // The batch in flight when the server was killed: not stored then (its ingest tick had
      // not come), stored once now.
      const inFlightSeqs = range(Number(inFlight.first), Number(inFlight.last));
      expect(inFlightSeqs.every((seq) => bySeq.some((s) => s.seq === seq))).toBe(true);
      expect(inFlightSeqs.some((seq) => !storedWhileDown.has(seq))).toBe(true);

      // Then with the ground truth: every GPS epoch with a fix the receiver sent is a
      // position on the server, once, in the order sent (sequence numbers follow it).
      const epochs = sentEpochs(rig.gps).filter((e) => e.fix);
      const positions = bySeq.filter(
        (s): s is Extract<StoredSample, { kind: 'position' }> => s.kind === 'position',
      );
      expect(epochs.length).toBeGreaterThan(100);
      const epochTimes = epochs.map((e) => e.t);
      const positionTimes = positions.map((p) => p.t);
      const [firstOpen, reopen] = gpsOpened.map((line) => Date.parse(String(line.time)));
      if (firstOpen === undefined || reopen === undefined) throw new Error('no GPS open logged');
      // Sent while no companion had the port open: nobody was listening.
      const unheard = (at: number) => at < firstOpen || (at > killedAt && at < reopen);
      const missingEpochs = epochs.filter((e) => !positionTimes.includes(e.t));
      const lostToKill = missingEpochs.filter((e) => !unheard(e.at));
      expect(lostToKill.length).toBeLessThanOrEqual(1);
      for (const lost of lostToKill) {
        expect(lost.at).toBeLessThanOrEqual(killedAt);
        expect(lost.at).toBeGreaterThan(killedAt - READ_MS);
      }
      // The kill really did cost epochs (the port was closed for the restart), so the
      // comparison above is against what was sent, not against what was received.
      expect(missingEpochs.filter((e) => unheard(e.at) && e.at > killedAt).length).toBeGreaterThan(
        0,
      );
      expect(positionTimes).toEqual(
        epochTimes.filter((t) => !missingEpochs.some((e) => e.t === t)),
      );
      for (const p of positions) {
        const epoch = epochs.find((e) => e.t === p.t);
        expect(Math.abs(p.lat - (epoch?.lat ?? 0))).toBeLessThan(1e-6);
        expect(Math.abs(p.lon - (epoch?.lon ?? 0))).toBeLessThan(1e-6);
      }

      // Every value the ELM327 served in a service 01 reply is a reading on the server, once,
      // in the order served, per PID; at most the reply to the killed process's last request
      // is missing, and then all of it.
      const replies = servedReplies(rig.obd);
      expect(replies.length).toBeGreaterThan(20);
      // The answer to the killed process's last request, if it was still coming in.
      const lastBeforeKill = replies
        .filter((r) => r.requestAt <= killedAt && r.at > killedAt - READ_MS)
        .at(-1);
      const readings = bySeq.filter(
        (s): s is Extract<StoredSample, { kind: 'reading' }> => s.kind === 'reading',
      );
      const storedValues = valuesByKey(readings.map((r) => [`${r.pid}:${r.part ?? 0}`, r.value]));
      const expectedWith = (skip: ServedReply | null) =>
        valuesByKey(replies.filter((r) => r !== skip).flatMap((r) => [...r.values.entries()]));
      const whole = expectedWith(null);
      const withoutInFlight = expectedWith(lastBeforeKill ?? null);
      expect([whole, withoutInFlight]).toContainEqual(storedValues);
      expect(readings.length).toBe([...storedValues.values()].flat().length);

      // The backlog after the outage reached the server oldest first (row order per table).
      for (const kind of ['position', 'reading', 'status'] as const) {
        const rows = stored
          .filter((s) => s.kind === kind && s.seq >= backlogFrom && s.seq <= backlogThrough)
          .sort((a, b) => a.rowid - b.rowid);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.map((r) => r.seq)).toEqual([...rows.map((r) => r.seq)].sort((a, b) => a - b));
      }
      // A day's data: every kind, the trouble code, the trip.
      const kinds = new Set(journal.map((s) => s.kind));
      expect([...kinds].sort()).toEqual(['driving', 'dtc', 'position', 'reading', 'status']);
      expect(journal.some((s) => s.kind === 'dtc' && s.codes.includes('P0301'))).toBe(true);
      expect(journal.some((s) => s.kind === 'driving' && s.event === 'trip_start')).toBe(true);
      // Nothing was refused by the server.
      expect(rejectionCount(outboxFile)).toBe(0);
    },
  );
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Values per pid:part, in order. */
function valuesByKey(pairs: Iterable<[string, number]>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [key, value] of pairs) out.set(key, [...(out.get(key) ?? []), value]);
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function journalOf(file: string): TelemetrySampleInput[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, body FROM journal ORDER BY seq').all() as {
      seq: number;
      body: string;
    }[];
    return rows.map(
      (r) => ({ seq: r.seq, ...(JSON.parse(r.body) as object) }) as TelemetrySampleInput,
    );
  } finally {
    db.close();
  }
}

function pendingSeqs(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare('SELECT seq FROM samples UNION ALL SELECT seq FROM events ORDER BY seq').all() as {
        seq: number;
      }[]
    ).map((r) => r.seq);
  } finally {
    db.close();
  }
}

function rejectionCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM rejections').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
