import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createDemoFleet } from '@fleetline/hardware';
import type { TelemetrySampleInput } from '@fleetline/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createVehicleRig } from '../../src/simulation/vehicle-rig.js';
import type { VehicleRig } from '../../src/simulation/vehicle-rig.js';
import { CompanionProcess, killChildren } from '../support/process.js';
import type { LogLine } from '../support/process.js';
import {
  eventually,
  normalised,
  registerVehicle,
  startTestServer,
  storedSamples,
} from '../support/server.js';
import type { TestServer } from '../support/server.js';

/**
 * The end-to-end test: the real server, the companion as a real
 * process, the simulators behind real pseudo-terminals (socat). Drive a
 * route; stop the server mid-run; bring it back; SIGKILL the companion while
 * a batch awaits its ack; start it again; then compare everything the
 * companion ever committed (its journal) with what the server stored.
 */

let server: TestServer | null = null;
let rig: VehicleRig | null = null;
let dataDir: string | null = null;

afterEach(async () => {
  killChildren();
  await rig?.close();
  await server?.stop().catch(() => undefined);
  if (server) fs.rmSync(server.dir, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  rig = null;
  server = null;
  dataDir = null;
});

const msg = (text: string) => (line: LogLine) => line.msg === text;

async function health(
  port: number,
): Promise<{ outbox: { pending: number; sink: { staged: number } }; uplink: { state: string } }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return (await response.json()) as {
    outbox: { pending: number; sink: { staged: number } };
    uplink: { state: string };
  };
}

describe('companion process against the real server, on pseudo-terminals', () => {
  it(
    'delivers every sample exactly once and in order through a server outage and a SIGKILL mid-batch',
    { timeout: 240_000 },
    async () => {
      server = await startTestServer();
      const vehicle = await registerVehicle(server.server, 'E2E 1');
      const [car] = createDemoFleet({ size: 1, city: 'berlin', seed: 5 });
      if (!car) throw new Error('no simulated car');
      rig = await createVehicleRig({
        vehicle: car,
        link: 'pty',
        gpsHz: 5,
        paceSerial: true,
        vin: '1FLE2E00000000001',
        scenario: { troubleCodes: { stored: ['P0301'] } },
      });
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'companion-e2e-'));
      const configFile = path.join(dataDir, 'config.json');
      fs.writeFileSync(
        configFile,
        JSON.stringify({
          name: 'e2e',
          server: { url: server.url, token: vehicle.token },
          devices: {
            obd: { transport: 'serial', path: rig.obdLink.hostPath, baudRate: 38400 },
            gps: { transport: 'serial', path: rig.gpsLink.hostPath, baudRate: 9600 },
          },
          polling: { troubleCodesEveryS: 10, batteryEveryS: 5 },
          storage: { dataDir: path.join(dataDir, 'state'), journal: true, commitIntervalMs: 100 },
          uplink: { sendIntervalMs: 200, reconnectMinS: 0.2, reconnectMaxS: 1 },
          health: { port: 0 },
          log: { level: 'debug' },
        }),
      );

      // 1. Drive.
      let companion = new CompanionProcess(['run', '--config', configFile]);
      const listening = await companion.waitForLog(msg('health endpoint listening'), 30_000);
      await companion.waitForLog(msg('uplink session started'));
      await eventually(
        () => (storedSamples(server!.dbFile, vehicle.deviceId).length >= 100 ? true : undefined),
        30_000,
        '100 samples stored',
      );

      // 2. The server goes away mid-run; samples pile up in the outbox.
      const beforeOutage = companion.logs.length;
      await server.stop();
      await companion.waitForLog(msg('uplink down; retrying'), 10_000, beforeOutage);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect((await health(Number(listening.port))).outbox.pending).toBeGreaterThan(25);

      // 3. It comes back with slow ingest ticks, so acks come late enough to kill between send and ack.
      const beforeRestart = companion.logs.length;
      await server.restart({ ingestFlushMs: 400 });
      const session = await companion.waitForLog(
        msg('uplink session started'),
        30_000,
        beforeRestart,
      );
      const backlogFrom = Number(session.backlogFromSeq);
      const backlogThrough = Number(session.backlogThroughSeq);
      expect(backlogThrough - backlogFrom).toBeGreaterThan(25);
      await companion.waitForLog(msg('backlog drained'), 30_000, beforeRestart);

      // 4. SIGKILL right after a batch went out, before its ack can come back.
      const sent = await companion.waitForLog(msg('batch sent'), 10_000, companion.logs.length);
      companion.child.kill('SIGKILL');
      expect((await companion.exited).signal).toBe('SIGKILL');
      const killedFirst = Number(sent.first);
      const killedLast = Number(sent.last);
      const outboxFile = path.join(dataDir, 'state', 'outbox.sqlite');
      const waiting = pendingSeqs(outboxFile);
      // The batch was in flight, unacknowledged: still in the outbox.
      expect(waiting).toEqual(expect.arrayContaining([killedFirst, killedLast]));

      // 5. Start again.
      companion = new CompanionProcess(['run', '--config', configFile]);
      const again = await companion.waitForLog(msg('health endpoint listening'), 30_000);
      await companion.waitForLog(msg('uplink session started'));
      const resent = await companion.waitForLog(
        (l) =>
          l.msg === 'batch acknowledged' &&
          Number(l.first) <= killedFirst &&
          Number(l.last) >= killedLast,
        30_000,
      );
      // The server had the killed batch already: the replay was recognised, not stored twice.
      expect(Number(resent.duplicates)).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 2000));

      // 6. Unplug the devices, let the outbox empty, stop cleanly.
      await rig.close();
      rig = null;
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

      // 7. Compare.
      const journal = journalOf(outboxFile);
      const stored = storedSamples(server.dbFile, vehicle.deviceId);
      const bySeq = [...stored].sort((a, b) => a.seq - b.seq);
      // Exactly once: every committed sample stored, nothing else, no number twice.
      expect(new Set(bySeq.map((s) => s.seq)).size).toBe(bySeq.length);
      expect(bySeq.map((s) => s.seq)).toEqual(journal.map((s) => s.seq));
      expect(bySeq.map(normalised)).toEqual(journal.map(normalised));
      // Nothing thinned or skipped: the numbers run without a gap.
      expect(journal.map((s) => s.seq)).toEqual(
        Array.from({ length: journal.length }, (_, i) => i + 1),
      );
      // In order: positions follow the receiver's clock, and the backlog after the
      // outage reached the server oldest first (row order in each table).
      const positions = journal.filter((s) => s.kind === 'position');
      expect(positions.every((p, i) => i === 0 || p.t >= (positions[i - 1]?.t ?? 0))).toBe(true);
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
