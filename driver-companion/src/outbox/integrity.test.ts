import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectOutbox } from './inspection.js';
import { checkIntegrity } from './integrity.js';
import { T0, damageLeafPage, open, position, reading, useTempFiles } from './outbox-kit.fixture.js';

// doctor's quick_check of an outbox file (integrity.ts), on files the Outbox
// class wrote, one of them with a page overwritten in the middle.

const tempFile = useTempFiles('companion-integrity-');

function hash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A closed outbox of a few hundred pages: positions and readings, as a vehicle records them. */
function filledOutbox(): string {
  const file = tempFile();
  const outbox = open(file, { synchronous: 'NORMAL' });
  for (let batch = 0; batch < 10; batch += 1) {
    outbox.append(
      Array.from({ length: 1000 }, (_, i) => {
        const t = T0 + (batch * 1000 + i) * 100;
        return i % 2 === 0 ? position(t) : reading(t, 12, i);
      }),
    );
  }
  outbox.close();
  return file;
}

describe('checkIntegrity', () => {
  it('finds a file intact, and leaves it as it was', async () => {
    const file = filledOutbox();
    const before = hash(file);
    expect(await checkIntegrity(file, { timeoutMs: 30_000 })).toMatchObject({ kind: 'intact' });
    expect(hash(file)).toBe(before);
  });

  it('finds a page damaged in the middle of the file that opening it does not see, and names its table', async () => {
    const file = filledOutbox();
    const page = damageLeafPage(file, 'samples');
    const before = hash(file);
    // Doctor's inspection, like the daemon's open, reads no such page.
    const inspected = inspectOutbox(file, 64 << 20);
    expect(inspected.kind).toBe('outbox');
    if (inspected.kind === 'outbox') inspected.inspection.close();

    const found = await checkIntegrity(file, { timeoutMs: 30_000 });
    expect(found).toMatchObject({ kind: 'damaged', objects: ['samples'] });
    if (found.kind !== 'damaged') return;
    expect(found.problems.join('\n')).toContain(`page ${page}`);
    expect(hash(file)).toBe(before);
  });

  it('stops at the deadline, and when told to', async () => {
    const file = filledOutbox();
    // No child process starts, let alone reads the file, within a millisecond.
    expect(await checkIntegrity(file, { timeoutMs: 1 })).toMatchObject({ kind: 'unfinished' });
    const controller = new AbortController();
    const check = checkIntegrity(file, { timeoutMs: 30_000, signal: controller.signal });
    controller.abort();
    expect(await check).toMatchObject({ kind: 'unfinished' });
  });

  it('says so when the check cannot run at all', async () => {
    const found = await checkIntegrity(`${tempFile()}.missing`, { timeoutMs: 30_000 });
    expect(found.kind).toBe('failed');
    if (found.kind === 'failed') expect(found.message).toMatch(/SQLITE_CANTOPEN/);
  });
});
