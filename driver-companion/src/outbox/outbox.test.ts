import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { T0, driving, open, position, reading, useTempFiles } from './outbox-kit.fixture.js';

const tempFile = useTempFiles();

describe('Outbox', () => {
  it('numbers samples from 1 in order and never hands a number out twice, even after everything was settled', () => {
    const file = tempFile();
    let outbox = open(file);
    const result = outbox.append([position(T0), reading(T0 + 10), driving(T0 + 20)]);
    expect(result).toEqual({ first: 1, last: 3, stored: 3, refused: 0 });
    const rows = outbox.read(0, null, 10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[1]?.sample).toEqual({ seq: 2, ...reading(T0 + 10) });
    expect(outbox.settle(1, 3)).toBe(3);
    expect(outbox.pending).toBe(0);
    outbox.close();

    outbox = open(file);
    expect(outbox.lastAssignedSeq).toBe(3);
    expect(outbox.append([position(T0 + 30)]).first).toBe(4);
    outbox.close();
  });

  it('reads a lane between two bounds and settles exactly one batch range', () => {
    const outbox = open(tempFile());
    outbox.append(Array.from({ length: 10 }, (_, i) => position(T0 + i * 1000)));
    expect(outbox.read(3, 6, 100).map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(outbox.read(3, null, 2).map((r) => r.seq)).toEqual([4, 5]);
    expect(outbox.settle(4, 6, [{ seq: 5, field: 'lat', reason: 'Too big' }])).toBe(3);
    expect(outbox.read(0, null, 100).map((r) => r.seq)).toEqual([1, 2, 3, 7, 8, 9, 10]);
    expect(outbox.recentRejections()).toMatchObject([{ seq: 5, field: 'lat', reason: 'Too big' }]);
    expect(outbox.stats().counters.rejectedByServer).toBe(1);
    outbox.close();
  });

  it('renumbers waiting samples above the server’s highest stored number, keeping their order', () => {
    const outbox = open(tempFile(), { journal: true });
    outbox.append([position(T0), reading(T0 + 1), driving(T0 + 2)]);
    outbox.settle(1, 1);
    // Nothing to do when the server is behind or level with us.
    expect(outbox.renumberAbove(3)).toEqual({ renumbered: 0, from: null, lastAssignedSeq: 3 });

    const result = outbox.renumberAbove(100);
    expect(result).toEqual({ renumbered: 2, from: 101, lastAssignedSeq: 102 });
    const rows = outbox.read(0, null, 10);
    expect(rows.map((r) => [r.seq, r.sample.kind])).toEqual([
      [101, 'reading'],
      [102, 'driving'],
    ]);
    expect(outbox.append([position(T0 + 3)]).first).toBe(103);
    // The journal follows: the settled sample keeps the number the server stored it under.
    expect(outbox.journal().map((r) => r.seq)).toEqual([1, 101, 102, 103]);
    expect(outbox.stats().counters.renumbered).toBe(2);
    outbox.close();
  });

  it('moves an unreadable batch to quarantine instead of retrying it forever', () => {
    const outbox = open(tempFile());
    outbox.append([position(T0), position(T0 + 1), position(T0 + 2)]);
    expect(outbox.quarantine(1, 2, 'batch-malformed')).toBe(2);
    expect(outbox.read(0, null, 10).map((r) => r.seq)).toEqual([3]);
    expect(outbox.quarantined()).toBe(2);
    expect(outbox.stats().counters.quarantined).toBe(2);
    outbox.close();
  });

  it('keeps a refusal per token across restarts', () => {
    const file = tempFile();
    let outbox = open(file);
    outbox.setRefusal({
      type: 'device-token-revoked',
      message: 'revoked',
      at: T0,
      tokenHash: 'abc',
    });
    outbox.close();
    outbox = open(file);
    expect(outbox.getRefusal()).toEqual({
      type: 'device-token-revoked',
      message: 'revoked',
      at: T0,
      tokenHash: 'abc',
    });
    outbox.setRefusal(null);
    expect(outbox.getRefusal()).toBeNull();
    outbox.close();
  });

  it('moves a file SQLite cannot read aside and starts a new outbox', () => {
    const file = tempFile();
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    const outbox = open(file);
    expect(outbox.append([position(T0)]).first).toBe(1);
    outbox.close();
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.corrupt-'));
    expect(aside.length).toBeGreaterThan(0);
  });
});

describe('Outbox identity', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is made with the file and kept in it: a reopen and a copy (a backup) keep it, a new file gets its own', () => {
    const file = tempFile();
    let outbox = open(file);
    const id = outbox.id;
    expect(id).toMatch(UUID);
    outbox.append([position(T0)]);
    outbox.close();
    outbox = open(file);
    expect(outbox.id).toBe(id);
    outbox.close();

    const backup = tempFile();
    fs.copyFileSync(file, backup);
    const restored = open(backup);
    expect(restored.id).toBe(id);
    restored.close();

    const fresh = open(tempFile());
    expect(fresh.id).toMatch(UUID);
    expect(fresh.id).not.toBe(id);
    fresh.close();
  });

  it('is new for the file started in place of a corrupt one', () => {
    const file = tempFile();
    let outbox = open(file);
    const id = outbox.id;
    outbox.close();
    fs.writeFileSync(file, 'this is not a database, it is a shopping list '.repeat(200));
    outbox = open(file);
    expect(outbox.id).toMatch(UUID);
    expect(outbox.id).not.toBe(id);
    outbox.close();
  });

  it('is given at open to a file without one (an older companion’s), or with one that is no UUID, and kept', () => {
    for (const stored of [null, 'not-a-uuid']) {
      const file = tempFile();
      open(file).close();
      const db = new Database(file);
      if (stored === null) db.prepare(`DELETE FROM meta WHERE key = 'outbox_id'`).run();
      else db.prepare(`UPDATE meta SET value = ? WHERE key = 'outbox_id'`).run(stored);
      db.close();
      let outbox = open(file);
      const id = outbox.id;
      expect(id).toMatch(UUID);
      outbox.close();
      outbox = open(file);
      expect(outbox.id).toBe(id);
      outbox.close();
    }
  });
});

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * What is durable when: a sample is in the outbox once append() has
 * returned. A child appends in a loop and reports each committed number;
 * it is killed with SIGKILL mid-loop; every reported number must be there.
 */
describe.each(['FULL', 'NORMAL'] as const)(
  'Outbox under SIGKILL (synchronous=%s)',
  (synchronous) => {
    it('keeps every sample whose append returned', async () => {
      const file = tempFile();
      const script = path.join(HERE, 'outbox-writer.fixture.ts');
      const child = spawn(
        process.execPath,
        ['--conditions=fleetline-source', '--import', 'tsx', script, file, synchronous],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let committed = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error(`writer too slow: ${stderr}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) if (line) committed = Math.max(committed, Number(line));
          if (committed >= 400) {
            child.kill('SIGKILL');
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await new Promise((resolve) => child.once('exit', resolve));
      expect(child.signalCode).toBe('SIGKILL');

      const outbox = open(file);
      const seqs = outbox.read(0, null, 1_000_000).map((r) => r.seq);
      expect(seqs.length).toBeGreaterThanOrEqual(committed);
      expect(seqs.slice(0, committed)).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(outbox.lastAssignedSeq).toBe(seqs.at(-1));
      outbox.close();
    });
  },
);
