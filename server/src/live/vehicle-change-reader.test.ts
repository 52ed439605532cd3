import { describe, expect, it } from 'vitest';
import type { VehicleChange } from '../repositories/vehicle-changes.js';
import { GAP_WAIT_MS, START_WINDOW, VehicleChangeReader } from './vehicle-change-reader.js';

/**
 * A change feed whose rows become visible in any order, as on PostgreSQL,
 * where an id is handed out at insert and seen only once its transaction
 * commits. Change n is of vehicle 100 + n.
 */
function feed() {
  const visible = new Map<number, VehicleChange>();
  let clock = 0;
  const source = {
    latestId: () => Promise.resolve(Math.max(0, ...visible.keys())),
    after: (afterId: number, limit: number) =>
      Promise.resolve(
        [...visible.values()]
          .filter((c) => c.id > afterId)
          .sort((a, b) => a.id - b.id)
          .slice(0, limit),
      ),
    byIds: (ids: readonly number[]) =>
      Promise.resolve(ids.flatMap((id) => (visible.has(id) ? [visible.get(id)!] : []))),
  };
  return {
    commit: (...ids: number[]) => {
      for (const id of ids) visible.set(id, { id, vehicleId: 100 + id });
    },
    advance: (ms: number) => (clock += ms),
    reader: (startAfter = 0) => new VehicleChangeReader(source, startAfter, () => clock),
    open: () => VehicleChangeReader.open(source, () => clock),
  };
}

/** Reads once, returning the vehicles handed to apply (sorted). */
async function read(reader: VehicleChangeReader): Promise<number[]> {
  const applied: number[] = [];
  await reader.read((ids) => {
    applied.push(...ids);
    return Promise.resolve();
  });
  return applied.sort((a, b) => a - b);
}

describe('VehicleChangeReader', () => {
  it('applies each change once, starting after the id it was given', async () => {
    const f = feed();
    f.commit(1, 2, 3);
    const reader = f.reader(1);
    expect(await read(reader)).toEqual([102, 103]);
    expect(await read(reader)).toEqual([]);
    f.commit(4);
    expect(await read(reader)).toEqual([104]);
  });

  it('a change committed after a higher one was read is still applied, once', async () => {
    const f = feed();
    const reader = f.reader();
    f.commit(1, 3); // 2 is inserted but not committed yet
    expect(await read(reader)).toEqual([101, 103]);
    f.commit(2, 4);
    expect(await read(reader)).toEqual([102, 104]);
    expect(await read(reader)).toEqual([]);
  });

  it('gives up an id that never appears (a rolled-back insert) without holding back later ones', async () => {
    const f = feed();
    const reader = f.reader();
    f.commit(1, 3);
    expect(await read(reader)).toEqual([101, 103]);
    f.commit(4);
    expect(await read(reader)).toEqual([104]);
    f.advance(GAP_WAIT_MS);
    expect(await read(reader)).toEqual([]);
    // Had it come after all that wait, it would be too late: it is no longer looked for.
    f.commit(2);
    expect(await read(reader)).toEqual([]);
    f.commit(5);
    expect(await read(reader)).toEqual([105]);
  });

  it('opened at start, takes what is visible as loaded and waits for ids missing below the newest', async () => {
    const f = feed();
    f.commit(1, 2, 4, 6); // 3 and 5 are inserted but not committed yet
    const reader = await f.open();
    expect(await read(reader)).toEqual([]);
    f.commit(5, 7);
    expect(await read(reader)).toEqual([105, 107]);
    // Waited for a minute, like any gap; then given up.
    f.advance(GAP_WAIT_MS);
    expect(await read(reader)).toEqual([]);
    f.commit(3);
    expect(await read(reader)).toEqual([]);
  });

  it('opened at start, waits only for the last ids below the newest', async () => {
    const f = feed();
    f.commit(START_WINDOW + 10); // every id below it is missing
    const reader = await f.open();
    f.commit(5, 11, START_WINDOW + 11);
    expect(await read(reader)).toEqual([111, 100 + START_WINDOW + 11]);
  });

  it('opened on an empty feed, reads from the first change', async () => {
    const f = feed();
    const reader = await f.open();
    f.commit(1);
    expect(await read(reader)).toEqual([101]);
  });

  it('offers the same changes again when applying them failed', async () => {
    const f = feed();
    const reader = f.reader();
    f.commit(1, 3);
    await expect(reader.read(() => Promise.reject(new Error('database away')))).rejects.toThrow(
      'database away',
    );
    expect(await read(reader)).toEqual([101, 103]);
    f.commit(2);
    await expect(reader.read(() => Promise.reject(new Error('again')))).rejects.toThrow('again');
    expect(await read(reader)).toEqual([102]);
  });

  it('reads past a page of changes', async () => {
    const f = feed();
    const reader = f.reader();
    f.commit(...Array.from({ length: 2500 }, (_, i) => i + 1));
    const vehicles = await read(reader);
    expect(vehicles).toHaveLength(2500);
    expect(vehicles.at(-1)).toBe(2600);
  });
});
