import type {
  DtcState,
  FeedCursor,
  PositionState,
  ReadingState,
  VehicleSnapshot,
  VehicleUpdate,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';

type ReadingKey = `${number}:${number}`;

/** One vehicle's changes since the last flush, merged section by section. */
export interface MergedVehicleUpdate {
  id: number;
  rev: number;
  online?: boolean;
  lastSeenAt?: number | null;
  overspeed?: boolean;
  position?: PositionState;
  status?: VehicleUpdate['status'];
  readings?: Map<ReadingKey, ReadingState>;
  dtcs?: Map<DtcState['kind'], DtcState>;
  /** The vehicle's record changed (renamed, new driver, other fleets, new device). */
  details?: VehicleUpdate['details'];
}

export interface PendingVehicle {
  /** The vehicle became visible: its complete snapshot (updates after it are merged in `update`). */
  added?: VehicleSnapshot;
  update: MergedVehicleUpdate;
  /** Every position seen since the last flush, oldest first (the trail needs them all). */
  positions: PositionState[];
}

export interface MergedBatch {
  vehicles: Map<number, PendingVehicle>;
  removed: Set<number>;
  /** The newest cursor received (the resume point). */
  cursor: FeedCursor | null;
  /** How many feed messages this batch merges. */
  messages: number;
}

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const browserScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** Positions kept per vehicle between flushes: a trail needs shape, not every fix. */
const MAX_POSITIONS_PER_FLUSH = 20;

/**
 * Sits between the socket and the store. However fast the feed arrives,
 * the store sees at most one batch per `intervalMs`, holding the latest state
 * of each vehicle that changed (merged per section, readings per pid/part,
 * trouble codes per kind). A quiet feed is flushed at once when the interval
 * since the previous flush has passed, so a lone update is not held back.
 */
export class UpdateBuffer {
  #pending: MergedBatch = emptyBatch();
  #timer: unknown = null;
  #lastFlush = -Infinity;

  constructor(
    private readonly sink: (batch: MergedBatch) => void,
    private readonly intervalMs: number,
    private readonly scheduler: Scheduler = browserScheduler,
  ) {}

  /** Vehicles waiting for the next flush. */
  get size(): number {
    return this.#pending.vehicles.size + this.#pending.removed.size;
  }

  push(message: VehicleUpdatesMessage): void {
    const batch = this.#pending;
    batch.messages += 1;
    batch.cursor = newerCursor(batch.cursor, message.cursor);
    for (const id of message.removed ?? []) {
      batch.vehicles.delete(id);
      batch.removed.add(id);
    }
    for (const snapshot of message.added ?? []) {
      batch.removed.delete(snapshot.id);
      batch.vehicles.set(snapshot.id, {
        added: snapshot,
        update: { id: snapshot.id, rev: snapshot.rev },
        positions: snapshot.position ? [snapshot.position] : [],
      });
    }
    for (const update of message.updates) this.#merge(update);
    this.#schedule();
  }

  /**
   * A snapshot replaces what the console holds: updates waiting from before
   * it are older than it and are dropped (their cursor too).
   */
  discardPending(): void {
    this.#pending = emptyBatch();
    if (this.#timer !== null) this.scheduler.clearTimeout(this.#timer);
    this.#timer = null;
  }

  flush(): void {
    if (this.#timer !== null) this.scheduler.clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending;
    if (batch.messages === 0) return;
    this.#pending = emptyBatch();
    this.#lastFlush = this.scheduler.now();
    this.sink(batch);
  }

  dispose(): void {
    this.discardPending();
  }

  #merge(update: VehicleUpdate): void {
    let pending = this.#pending.vehicles.get(update.id);
    if (!pending) {
      pending = { update: { id: update.id, rev: update.rev }, positions: [] };
      this.#pending.vehicles.set(update.id, pending);
    }
    const merged = pending.update;
    merged.rev = Math.max(merged.rev, update.rev);
    if (update.online !== undefined) merged.online = update.online;
    if (update.lastSeenAt !== undefined) merged.lastSeenAt = update.lastSeenAt;
    if (update.overspeed !== undefined) merged.overspeed = update.overspeed;
    if (update.status) merged.status = update.status;
    if (update.details) merged.details = update.details;
    if (update.position) {
      merged.position = update.position;
      pending.positions.push(update.position);
      if (pending.positions.length > MAX_POSITIONS_PER_FLUSH) pending.positions.shift();
    }
    if (update.readings) {
      merged.readings ??= new Map();
      for (const r of update.readings) merged.readings.set(`${r.pid}:${r.part}`, r);
    }
    if (update.dtcs) {
      merged.dtcs ??= new Map();
      for (const d of update.dtcs) merged.dtcs.set(d.kind, d);
    }
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    const wait = Math.max(0, this.#lastFlush + this.intervalMs - this.scheduler.now());
    this.#timer = this.scheduler.setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, wait);
  }
}

function emptyBatch(): MergedBatch {
  return { vehicles: new Map(), removed: new Set(), cursor: null, messages: 0 };
}

/** Within one server life the higher rev wins; a new epoch (server restart) always wins. */
export function newerCursor(a: FeedCursor | null, b: FeedCursor): FeedCursor {
  if (!a || a.epoch !== b.epoch) return b;
  return b.rev >= a.rev ? b : a;
}
