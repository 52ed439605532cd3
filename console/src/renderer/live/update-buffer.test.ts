import { describe, expect, it } from 'vitest';
import { cursor, position, updates, vehicleSnapshot } from '../testing/fixtures';
import { UpdateBuffer, newerCursor } from './update-buffer';
import type { MergedBatch, Scheduler } from './update-buffer';

/** A scheduler whose clock only moves when the test says so. */
function manualScheduler() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const scheduler: Scheduler = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i !== -1) timers.splice(i, 1);
    },
    now: () => now,
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now).sort((a, b) => a.at - b.at)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { scheduler, advance, pending: () => timers.length };
}

function setup(intervalMs = 250) {
  const batches: MergedBatch[] = [];
  const clock = manualScheduler();
  const buffer = new UpdateBuffer((b) => batches.push(b), intervalMs, clock.scheduler);
  return { batches, buffer, ...clock };
}

describe('UpdateBuffer', () => {
  it('flushes a lone update at once, then at most once per interval however many arrive', () => {
    const { batches, buffer, advance } = setup(250);
    buffer.push(updates(1, [{ id: 1, rev: 1, online: true }]));
    advance(0);
    expect(batches).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      buffer.push(updates(2 + i, [{ id: 1, rev: 2 + i, position: position(2 + i, 13 + i / 100) }]));
      advance(10);
    }
    // 200 ms into the interval: still held back.
    expect(batches).toHaveLength(1);
    advance(50);
    expect(batches).toHaveLength(2);
    expect(batches[1]?.messages).toBe(20);
  });

  it('merges per vehicle: latest section wins, readings per pid and part, trouble codes per kind', () => {
    const { batches, buffer } = setup();
    buffer.push(
      updates(5, [
        {
          id: 7,
          rev: 4,
          online: true,
          lastSeenAt: 10,
          readings: [{ pid: 12, part: 0, t: 10, value: 800, unit: 'rpm' }],
        },
        { id: 8, rev: 5, overspeed: true },
      ]),
    );
    buffer.push(
      updates(6, [
        {
          id: 7,
          rev: 6,
          position: position(11, 13.1),
          readings: [
            { pid: 12, part: 0, t: 11, value: 1200, unit: 'rpm' },
            { pid: 5, part: 0, t: 11, value: 80, unit: '°C' },
          ],
          dtcs: [{ kind: 'stored', t: 11, codes: ['P0301'] }],
        },
      ]),
    );
    buffer.push(
      updates(7, [{ id: 7, rev: 7, dtcs: [{ kind: 'stored', t: 12, codes: [] }], lastSeenAt: 12 }]),
    );
    buffer.flush();
    const batch = batches[0] as MergedBatch;
    const seven = batch.vehicles.get(7);
    expect(seven?.update.rev).toBe(7);
    expect(seven?.update.online).toBe(true);
    expect(seven?.update.lastSeenAt).toBe(12);
    expect(seven?.update.position?.lon).toBe(13.1);
    expect([...(seven?.update.readings?.values() ?? [])].map((r) => [r.pid, r.value])).toEqual([
      [12, 1200],
      [5, 80],
    ]);
    expect(seven?.update.dtcs?.get('stored')?.codes).toEqual([]);
    expect(batch.vehicles.get(8)?.update.overspeed).toBe(true);
    expect(batch.cursor).toEqual(cursor(7));
  });

  it('keeps every position between flushes for the trail, bounded', () => {
    const { batches, buffer } = setup();
    for (let i = 0; i < 30; i++)
      buffer.push(updates(i + 1, [{ id: 1, rev: i + 1, position: position(i, 13 + i / 1000) }]));
    buffer.flush();
    const positions = batches[0]?.vehicles.get(1)?.positions ?? [];
    expect(positions).toHaveLength(20);
    expect(positions.at(-1)?.t).toBe(29);
    expect(positions[0]?.t).toBe(10);
  });

  it('applies added and removed in order: a removed vehicle drops its pending update, a re-added one starts afresh', () => {
    const { batches, buffer } = setup();
    buffer.push(updates(1, [{ id: 3, rev: 1, online: false }]));
    buffer.push(updates(2, [], { removed: [3] }));
    buffer.push(updates(3, [], { added: [vehicleSnapshot({ id: 4, rev: 3 })], removed: [] }));
    buffer.push(updates(4, [{ id: 4, rev: 4, overspeed: true }]));
    buffer.flush();
    const batch = batches[0] as MergedBatch;
    expect(batch.vehicles.has(3)).toBe(false);
    expect([...batch.removed]).toEqual([3]);
    expect(batch.vehicles.get(4)?.added?.id).toBe(4);
    expect(batch.vehicles.get(4)?.update.overspeed).toBe(true);
    buffer.push(updates(5, [], { added: [vehicleSnapshot({ id: 3, rev: 5 })] }));
    buffer.flush();
    expect(batches[1]?.removed.has(3)).toBe(false);
    expect(batches[1]?.vehicles.get(3)?.added).toBeDefined();
  });

  it('drops what was pending when a snapshot replaces the picture', () => {
    const { batches, buffer, advance, pending } = setup();
    buffer.push(updates(1, [{ id: 1, rev: 1, online: true }]));
    buffer.discardPending();
    expect(pending()).toBe(0);
    advance(1000);
    buffer.flush();
    expect(batches).toHaveLength(0);
    expect(buffer.size).toBe(0);
  });

  it('keeps the newest cursor: higher rev in one server life, any rev of a new one', () => {
    expect(newerCursor(cursor(5), cursor(3))).toEqual(cursor(5));
    expect(newerCursor(cursor(5), cursor(9))).toEqual(cursor(9));
    expect(newerCursor(cursor(500, 'old'), cursor(2, 'new'))).toEqual(cursor(2, 'new'));
    expect(newerCursor(null, cursor(1))).toEqual(cursor(1));
  });
});
