import { createStore } from 'zustand/vanilla';
import type {
  DtcState,
  FeedCursor,
  Fleet,
  FleetSnapshotMessage,
  PositionState,
  ReadingState,
  VehicleSnapshot,
} from '@fleetline/protocol';
import type { MergedBatch, MergedVehicleUpdate } from '../live/update-buffer';
import { classifyVehicle, isMoving } from './vehicle-state';
import type { VehicleState } from './vehicle-state';

export interface VehicleRecord extends VehicleSnapshot {
  state: VehicleState;
}

export interface TrailPoint {
  t: number;
  lon: number;
  lat: number;
}

/** Positions kept per vehicle for its trail (a few minutes at the feed's rate). */
export const TRAIL_LENGTH = 200;
/** Values kept per reading series of a watched vehicle (for the small charts). */
export const SERIES_LENGTH = 600;

export interface SeriesPoint {
  t: number;
  value: number;
}

/** How the console names a vehicle: the alarm dock, the event log, notifications. */
export interface VehicleName {
  name: string;
  plate: string | null;
}

export type ReadingKey = `${number}:${number}`;
export const readingKey = (pid: number, part: number): ReadingKey => `${pid}:${part}`;

export interface FleetState {
  fleets: Fleet[];
  /**
   * Vehicles by id. The Map is updated in place by the actions below and
   * `revision` tells subscribers it changed; each changed vehicle gets a new
   * record object, so a selector on one vehicle re-renders only for it.
   */
  vehicles: Map<number, VehicleRecord>;
  revision: number;
  /**
   * Bumps only when what lists show changes (membership, names, states, and
   * a vehicle in alarm starting or stopping: the filter counts it by that).
   */
  listRevision: number;
  /**
   * Bumps when a live update takes a vehicle into or out of alarm: the map
   * shows that at once instead of at its next once-a-second refresh.
   */
  alarmRevision: number;
  /**
   * The name and plate of every vehicle the console held since sign-in, as
   * it last held it, kept once the vehicle leaves the view (the fleet picker
   * narrowed it): events of any vehicle seen this session are named by it.
   * Never pruned (10,000 vehicles are well under a megabyte); emptied with
   * the rest of the store (`clear`) on sign-out and when another user signs
   * in, who may not be allowed to see those vehicles (`app/context.tsx`).
   * Updated in place; `namesRevision` bumps when a name or plate in it changes.
   */
  vehicleNames: Map<number, VehicleName>;
  namesRevision: number;
  /** Ids changed by the last revision (layers update just these). */
  changed: ReadonlySet<number>;
  trails: Map<number, TrailPoint[]>;
  /** Recent readings of watched vehicles (the open vehicle panel), per pid:part. */
  series: Map<number, Map<ReadingKey, SeriesPoint[]>>;
  cursor: FeedCursor | null;
  /** When the newest data was received; null before any. */
  receivedAt: number | null;
  /** 'stored': the picture comes from the local store and is as old as `receivedAt`. */
  source: 'none' | 'stored' | 'live';
  serverTimeOffsetMs: number;

  applySnapshot(message: FleetSnapshotMessage, now: number): void;
  applyBatch(batch: MergedBatch, now: number): void;
  loadStored(picture: { fleets: Fleet[]; vehicles: VehicleSnapshot[]; receivedAt: number }): void;
  watch(vehicleId: number, history: Map<ReadingKey, SeriesPoint[]>): void;
  unwatch(vehicleId: number): void;
  /** Empties the store, `vehicleNames` too (sign-out, another user signing in). */
  clear(): void;
}

export type FleetStore = ReturnType<typeof createFleetStore>;

export function createFleetStore() {
  return createStore<FleetState>()((set, get) => ({
    fleets: [],
    vehicles: new Map(),
    revision: 0,
    listRevision: 0,
    alarmRevision: 0,
    vehicleNames: new Map(),
    namesRevision: 0,
    changed: new Set(),
    trails: new Map(),
    series: new Map(),
    cursor: null,
    receivedAt: null,
    source: 'none',
    serverTimeOffsetMs: 0,

    applySnapshot(message, now) {
      const { vehicles, trails, series, vehicleNames } = get();
      const changed = new Set<number>();
      let renamed = false;
      if (message.full) {
        const keep = new Set(message.vehicles.map((v) => v.id));
        for (const id of vehicles.keys()) {
          if (!keep.has(id)) {
            vehicles.delete(id);
            trails.delete(id);
            changed.add(id);
          }
        }
      } else if (message.vehicleIds) {
        const visible = new Set(message.vehicleIds);
        for (const id of vehicles.keys()) {
          if (!visible.has(id)) {
            vehicles.delete(id);
            trails.delete(id);
            changed.add(id);
          }
        }
      }
      for (const snapshot of message.vehicles) {
        vehicles.set(snapshot.id, toRecord(snapshot));
        if (rememberName(vehicleNames, snapshot)) renamed = true;
        if (snapshot.position) pushTrail(trails, snapshot.id, snapshot.position);
        appendSeries(series, snapshot.id, snapshot.readings);
        changed.add(snapshot.id);
      }
      set((s) => ({
        fleets: message.fleets,
        cursor: message.cursor,
        revision: s.revision + 1,
        listRevision: s.listRevision + 1,
        namesRevision: renamed ? s.namesRevision + 1 : s.namesRevision,
        changed,
        receivedAt: now,
        source: 'live',
        serverTimeOffsetMs: message.serverTime - now,
      }));
    },

    applyBatch(batch, now) {
      const { vehicles, trails, series, vehicleNames } = get();
      const changed = new Set<number>();
      let listChanged = false;
      let renamed = false;
      let alarmChanged = false;
      for (const id of batch.removed) {
        if (vehicles.delete(id)) {
          trails.delete(id);
          changed.add(id);
          listChanged = true;
        }
      }
      for (const [id, pending] of batch.vehicles) {
        const existing = vehicles.get(id);
        let record = pending.added ? toRecord(pending.added) : existing;
        if (!record) continue; // an update for a vehicle this console does not hold
        // Revisions only grow: an update this console already has changes nothing.
        if (pending.update.rev > record.rev) record = mergeUpdate(record, pending.update);
        if (record === existing) continue;
        if (
          !existing ||
          existing.state !== record.state ||
          isMoving(existing) !== isMoving(record) ||
          pending.update.details
        )
          listChanged = true;
        if ((existing?.state === 'alarm') !== (record.state === 'alarm')) alarmChanged = true;
        vehicles.set(id, record);
        if (rememberName(vehicleNames, record)) renamed = true;
        for (const p of pending.positions) pushTrail(trails, id, p);
        if (pending.update.readings)
          appendSeries(series, id, [...pending.update.readings.values()]);
        changed.add(id);
      }
      if (changed.size === 0 && !batch.cursor) return;
      set((s) => ({
        cursor: batch.cursor ?? s.cursor,
        revision: changed.size > 0 ? s.revision + 1 : s.revision,
        listRevision: listChanged ? s.listRevision + 1 : s.listRevision,
        alarmRevision: alarmChanged ? s.alarmRevision + 1 : s.alarmRevision,
        namesRevision: renamed ? s.namesRevision + 1 : s.namesRevision,
        changed,
        receivedAt: now,
        source: 'live',
      }));
    },

    loadStored(picture) {
      // The live feed always wins over a stored picture.
      if (get().source === 'live') return;
      const vehicles = new Map<number, VehicleRecord>();
      const trails = new Map<number, TrailPoint[]>();
      const { vehicleNames } = get();
      let renamed = false;
      for (const snapshot of picture.vehicles) {
        vehicles.set(snapshot.id, toRecord(snapshot));
        if (rememberName(vehicleNames, snapshot)) renamed = true;
        if (snapshot.position) pushTrail(trails, snapshot.id, snapshot.position);
      }
      set((s) => ({
        fleets: picture.fleets,
        vehicles,
        trails,
        revision: s.revision + 1,
        listRevision: s.listRevision + 1,
        namesRevision: renamed ? s.namesRevision + 1 : s.namesRevision,
        changed: new Set(vehicles.keys()),
        receivedAt: picture.receivedAt,
        source: 'stored',
      }));
    },

    watch(vehicleId, history) {
      const series = get().series;
      const live = series.get(vehicleId);
      // History from the server first, then what the feed added while it loaded.
      const merged = new Map(history);
      for (const [key, points] of live ?? []) {
        const base = merged.get(key) ?? [];
        const last = base.at(-1)?.t ?? -Infinity;
        merged.set(key, [...base, ...points.filter((p) => p.t > last)].slice(-SERIES_LENGTH));
      }
      series.set(vehicleId, merged);
      set((s) => ({ revision: s.revision + 1, changed: new Set([vehicleId]) }));
    },

    unwatch(vehicleId) {
      get().series.delete(vehicleId);
    },

    clear() {
      set((s) => ({
        fleets: [],
        vehicles: new Map(),
        vehicleNames: new Map(),
        namesRevision: s.namesRevision + 1,
        trails: new Map(),
        series: new Map(),
        cursor: null,
        receivedAt: null,
        source: 'none',
        revision: s.revision + 1,
        listRevision: s.listRevision + 1,
        changed: new Set(),
      }));
    },
  }));
}

/** Keeps a vehicle's name and plate as held now; true when they are new or changed. */
function rememberName(
  names: Map<number, VehicleName>,
  vehicle: { id: number; name: string; plate: string | null },
): boolean {
  const known = names.get(vehicle.id);
  if (known && known.name === vehicle.name && known.plate === vehicle.plate) return false;
  names.set(vehicle.id, { name: vehicle.name, plate: vehicle.plate });
  return true;
}

function toRecord(snapshot: VehicleSnapshot): VehicleRecord {
  return { ...snapshot, state: classifyVehicle(snapshot) };
}

function mergeUpdate(record: VehicleRecord, update: MergedVehicleUpdate): VehicleRecord {
  const next: VehicleSnapshot = {
    ...record,
    ...update.details,
    rev: Math.max(record.rev, update.rev),
    online: update.online ?? record.online,
    lastSeenAt: update.lastSeenAt !== undefined ? update.lastSeenAt : record.lastSeenAt,
    overspeed: update.overspeed ?? record.overspeed,
    position: update.position ?? record.position,
    status: update.status ?? record.status,
    readings: update.readings ? mergeReadings(record.readings, update.readings) : record.readings,
    dtcs: update.dtcs ? mergeDtcs(record.dtcs, update.dtcs) : record.dtcs,
  };
  return { ...next, state: classifyVehicle(next) };
}

function mergeReadings(
  current: ReadingState[],
  changed: ReadonlyMap<ReadingKey, ReadingState>,
): ReadingState[] {
  const byKey = new Map(current.map((r) => [readingKey(r.pid, r.part), r] as const));
  for (const [key, reading] of changed) byKey.set(key, reading);
  return [...byKey.values()].sort((a, b) => a.pid - b.pid || a.part - b.part);
}

function mergeDtcs(
  current: DtcState[],
  changed: ReadonlyMap<DtcState['kind'], DtcState>,
): DtcState[] {
  const byKind = new Map(current.map((d) => [d.kind, d] as const));
  for (const [kind, dtc] of changed) byKind.set(kind, dtc);
  return [...byKind.values()];
}

function pushTrail(trails: Map<number, TrailPoint[]>, id: number, p: PositionState): void {
  let trail = trails.get(id);
  if (!trail) {
    trail = [];
    trails.set(id, trail);
  }
  const last = trail.at(-1);
  if (last && p.t <= last.t) return; // the feed only moves forward; a repeat adds nothing
  trail.push({ t: p.t, lon: p.lon, lat: p.lat });
  if (trail.length > TRAIL_LENGTH) trail.splice(0, trail.length - TRAIL_LENGTH);
}

function appendSeries(
  series: Map<number, Map<ReadingKey, SeriesPoint[]>>,
  id: number,
  readings: readonly ReadingState[],
): void {
  const watched = series.get(id);
  if (!watched) return;
  for (const r of readings) {
    const key = readingKey(r.pid, r.part);
    let points = watched.get(key);
    if (!points) {
      points = [];
      watched.set(key, points);
    }
    if ((points.at(-1)?.t ?? -Infinity) >= r.t) continue;
    points.push({ t: r.t, value: r.value });
    if (points.length > SERIES_LENGTH) points.splice(0, points.length - SERIES_LENGTH);
  }
}
