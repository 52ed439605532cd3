import type { VehicleChange } from '../repositories/vehicle-changes.js';

/** What the reader needs of the change feed's table. */
export interface VehicleChangeSource {
  /** The newest change id visible now, 0 if none. */
  latestId(): Promise<number>;
  /** Changes with an id above `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): Promise<VehicleChange[]>;
  /** The changes among `ids` that exist now. */
  byIds(ids: readonly number[]): Promise<VehicleChange[]>;
}

/** Changes read per query. */
const PAGE = 1000;
/**
 * How long a missing id is waited for. On PostgreSQL ids are handed out
 * when a row is inserted, not when its transaction commits: a change may
 * become visible after a higher one was read, or never (rolled back). An
 * account operation commits within moments; a minute is ample.
 */
export const GAP_WAIT_MS = 60_000;
/** Missing ids tracked at most; beyond, the oldest are given up at once. */
const MAX_GAPS = 10_000;
/**
 * Ids below the newest at start that are still looked for if missing: a
 * change inserted before the newest one may commit after the server read
 * the newest id (and loaded its vehicles).
 */
export const START_WINDOW = 1000;

/**
 * Reads the vehicle change feed exactly once per change, in spite of ids
 * that become visible out of order: every id up to `settledTo` was applied
 * or given up, and above it the reader remembers which ids it applied and
 * since when it has waited for each missing one.
 */
export class VehicleChangeReader {
  private settledTo: number;
  private maxSeen: number;
  private readonly applied = new Set<number>();
  /** Missing ids below `maxSeen`, with when they were first missed. */
  private readonly gaps = new Map<number, number>();

  constructor(
    private readonly source: VehicleChangeSource,
    /** The newest change id at start: everything up to it is already reflected. */
    startAfter: number,
    private readonly now: () => number,
  ) {
    this.settledTo = startAfter;
    this.maxSeen = startAfter;
  }

  /**
   * A reader for a server starting now, before it loads its vehicles: every
   * change visible now counts as reflected by that load, and an id below
   * the newest that is missing (not committed yet, or rolled back) is waited
   * for like any other gap.
   */
  static async open(source: VehicleChangeSource, now: () => number): Promise<VehicleChangeReader> {
    const latest = await source.latestId();
    const from = Math.max(0, latest - START_WINDOW);
    const reader = new VehicleChangeReader(source, from, now);
    const present = new Set(
      (from < latest ? await source.after(from, START_WINDOW) : []).map((c) => c.id),
    );
    const at = now();
    for (let id = from + 1; id <= latest; id++) {
      if (present.has(id)) reader.applied.add(id);
      else reader.gaps.set(id, at);
    }
    reader.maxSeen = latest;
    reader.settle();
    return reader;
  }

  /**
   * Reads what is new, and what was missing and has appeared, and hands
   * their vehicles to `apply`. Nothing counts as read unless `apply`
   * succeeds: after a failure the next read offers the same changes again.
   * Returns how many changes were applied.
   */
  async read(apply: (vehicleIds: number[]) => Promise<void>): Promise<number> {
    const found: VehicleChange[] = [];
    if (this.gaps.size > 0) found.push(...(await this.source.byIds([...this.gaps.keys()])));
    const at = this.now();
    const newGaps: number[] = [];
    let maxSeen = this.maxSeen;
    for (;;) {
      const page = await this.source.after(maxSeen, PAGE);
      const present = new Set(page.map((change) => change.id));
      const last = page.at(-1)?.id ?? maxSeen;
      // Ids skipped over are not visible yet (or never will be).
      for (let id = maxSeen + 1; id < last; id++) if (!present.has(id)) newGaps.push(id);
      found.push(...page);
      maxSeen = Math.max(maxSeen, last);
      if (page.length < PAGE) break;
    }
    const fresh = found.filter((c) => c.id > this.settledTo && !this.applied.has(c.id));
    const vehicleIds = [...new Set(fresh.map((c) => c.vehicleId))];
    if (vehicleIds.length > 0) await apply(vehicleIds);
    for (const change of fresh) {
      this.applied.add(change.id);
      this.gaps.delete(change.id);
    }
    for (const id of newGaps) this.gaps.set(id, at);
    for (const id of this.gaps.keys()) {
      if (this.gaps.size <= MAX_GAPS) break;
      this.gaps.delete(id);
    }
    this.maxSeen = maxSeen;
    this.settle();
    return fresh.length;
  }

  /** Moves `settledTo` past every id applied or waited for long enough. */
  private settle(): void {
    const at = this.now();
    for (const [id, since] of this.gaps) if (at - since >= GAP_WAIT_MS) this.gaps.delete(id);
    while (this.settledTo < this.maxSeen) {
      const next = this.settledTo + 1;
      if (this.gaps.has(next)) break;
      this.applied.delete(next);
      this.settledTo = next;
    }
  }
}
