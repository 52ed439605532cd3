import { randomUUID } from 'node:crypto';
import type {
  NewFleetEvent,
  TelemetrySample,
  VehicleDetails,
  VehicleSnapshot,
  VehicleUpdate,
} from '@fleetline/protocol';
import type { VehicleRecord } from '../repositories/vehicles.js';
import { detect, detectOffline } from './event-detector.js';
import type { BackfillState } from './event-detector.js';
import { emptyVehicleState } from './vehicle-state.js';
import type { LiveVehicleState, Section } from './vehicle-state.js';

interface LiveVehicle {
  record: VehicleRecord;
  state: LiveVehicleState;
  backfill: BackfillState | null;
  /** Revision of the last change to any section. */
  rev: number;
  sectionRevs: Map<Section, number>;
}

interface PlannedChange {
  vehicleId: number;
  state: LiveVehicleState;
  backfill: BackfillState | null;
  changed: Set<Section>;
}

/** What one ingest tick will change, computed inside the transaction, applied after commit. */
export interface TickPlan {
  changes: PlannedChange[];
  events: NewFleetEvent[];
}

export interface PlanOptions {
  now: number;
  overspeedMinMs: number;
  /** Also take vehicles silent for this long offline. */
  offlineAfterMs?: number;
  /** With `offlineAfterMs`: only these vehicles. */
  offlineOnly?: ReadonlySet<number>;
}

/**
 * The server's picture of every vehicle: latest state, revisions for console
 * catch-up, and the detector state. Written only by the ingest writer (one
 * tick at a time), read by the console feed.
 */
export class LiveState {
  /** Changes when the process restarts: a console cursor from another epoch needs a full snapshot. */
  readonly epoch = randomUUID();
  private revision = 0;
  private readonly vehicles = new Map<number, LiveVehicle>();

  get rev(): number {
    return this.revision;
  }

  has(vehicleId: number): boolean {
    return this.vehicles.has(vehicleId);
  }

  ids(): IterableIterator<number> {
    return this.vehicles.keys();
  }

  record(vehicleId: number): VehicleRecord | undefined {
    return this.vehicles.get(vehicleId)?.record;
  }

  state(vehicleId: number): LiveVehicleState | undefined {
    return this.vehicles.get(vehicleId)?.state;
  }

  /**
   * Adds vehicles or refreshes their records (name, fleets, device, driver)
   * without touching their state. Returns the vehicles whose record changed,
   * each with a new revision of its `details` section.
   */
  upsertRecords(
    records: readonly VehicleRecord[],
    states?: ReadonlyMap<number, LiveVehicleState>,
  ): number[] {
    const changed: number[] = [];
    for (const record of records) {
      const existing = this.vehicles.get(record.id);
      if (existing) {
        if (JSON.stringify(details(existing.record)) !== JSON.stringify(details(record))) {
          const rev = ++this.revision;
          existing.rev = rev;
          existing.sectionRevs.set('details', rev);
          changed.push(record.id);
        }
        existing.record = record;
        continue;
      }
      this.vehicles.set(record.id, {
        record,
        state: states?.get(record.id) ?? emptyVehicleState(),
        backfill: null,
        rev: 0,
        sectionRevs: new Map(),
      });
    }
    return changed;
  }

  /**
   * Computes the effect of newly stored samples (and, with `offlineAfterMs`,
   * of silence) without changing anything.
   */
  plan(samplesByVehicle: ReadonlyMap<number, TelemetrySample[]>, options: PlanOptions): TickPlan {
    const changes: PlannedChange[] = [];
    const events: NewFleetEvent[] = [];
    for (const [vehicleId, samples] of samplesByVehicle) {
      const vehicle = this.vehicles.get(vehicleId);
      if (!vehicle || samples.length === 0) continue;
      samples.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const detection = detect(vehicle.state, vehicle.backfill, samples, {
        vehicleId,
        limitKmh: vehicle.record.overspeedLimitKmh,
        overspeedMinMs: options.overspeedMinMs,
        now: options.now,
      });
      changes.push({
        vehicleId,
        state: detection.state,
        backfill: detection.backfill,
        changed: detection.changed,
      });
      events.push(...detection.events);
    }
    if (options.offlineAfterMs !== undefined) {
      for (const [vehicleId, vehicle] of this.vehicles) {
        if (samplesByVehicle.has(vehicleId)) continue;
        if (options.offlineOnly && !options.offlineOnly.has(vehicleId)) continue;
        const offline = detectOffline(
          vehicle.state,
          vehicleId,
          options.now,
          options.offlineAfterMs,
        );
        if (!offline) continue;
        const changed = new Set<Section>(['presence']);
        if (vehicle.state.overspeed) changed.add('overspeed');
        changes.push({ vehicleId, state: offline.state, backfill: vehicle.backfill, changed });
        events.push(offline.event);
      }
    }
    return { changes, events };
  }

  /**
   * Puts back the state the database holds for a vehicle, after a tick whose
   * commit may or may not have landed: every section counts as changed, so
   * consoles get it. The detector's memory that is not persisted (an
   * overspeed being timed, a backlog stream) starts over. Returns whether
   * the vehicle is known.
   */
  restore(vehicleId: number, state: LiveVehicleState): boolean {
    const vehicle = this.vehicles.get(vehicleId);
    if (!vehicle) return false;
    // Silence is measured from the later of the two: the grace given at
    // start (graceAll) is not in the database.
    const seen = [state.lastSeenAt, vehicle.state.lastSeenAt].filter((t) => t !== null);
    vehicle.state = { ...state, lastSeenAt: seen.length > 0 ? Math.max(...seen) : null };
    vehicle.backfill = null;
    const rev = ++this.revision;
    vehicle.rev = rev;
    const sections: Section[] = ['presence', 'overspeed', 'position', 'status'];
    for (const key of state.readings.keys()) sections.push(`reading:${key}`);
    for (const kind of state.dtcs.keys()) sections.push(`dtc:${kind}`);
    for (const section of sections) vehicle.sectionRevs.set(section, rev);
    return true;
  }

  /** Drops a vehicle the database no longer has (deleted under its connected device). */
  forget(vehicleId: number): void {
    this.vehicles.delete(vehicleId);
  }

  /** Applies a plan once its transaction has committed; returns the vehicles that changed. */
  commit(plan: TickPlan): number[] {
    const changedIds: number[] = [];
    for (const change of plan.changes) {
      const vehicle = this.vehicles.get(change.vehicleId);
      if (!vehicle) continue;
      vehicle.state = change.state;
      vehicle.backfill = change.backfill;
      if (change.changed.size === 0) continue;
      const rev = ++this.revision;
      vehicle.rev = rev;
      for (const section of change.changed) vehicle.sectionRevs.set(section, rev);
      changedIds.push(change.vehicleId);
    }
    return changedIds;
  }

  /** Treats every online vehicle as just seen: used at start, so that downtime does not count as silence. */
  graceAll(now: number): void {
    for (const vehicle of this.vehicles.values()) {
      if (vehicle.state.online)
        vehicle.state = {
          ...vehicle.state,
          lastSeenAt: Math.max(vehicle.state.lastSeenAt ?? 0, now),
        };
    }
  }

  vehicleRev(vehicleId: number): number {
    return this.vehicles.get(vehicleId)?.rev ?? 0;
  }

  snapshot(vehicleId: number): VehicleSnapshot | undefined {
    const vehicle = this.vehicles.get(vehicleId);
    if (!vehicle) return undefined;
    const { record, state } = vehicle;
    return {
      id: record.id,
      name: record.name,
      plate: record.plate,
      vin: record.vin,
      fleetIds: record.fleetIds,
      deviceId: record.deviceId,
      driver: record.driver,
      online: state.online,
      lastSeenAt: state.lastSeenAt,
      overspeed: state.overspeed,
      position: state.position,
      status: state.status,
      readings: [...state.readings.values()],
      dtcs: [...state.dtcs.values()],
      rev: vehicle.rev,
    };
  }

  /** The sections of a vehicle that changed after revision `sinceRev`. */
  updateSince(vehicleId: number, sinceRev: number): VehicleUpdate | undefined {
    const vehicle = this.vehicles.get(vehicleId);
    if (!vehicle || vehicle.rev <= sinceRev) return undefined;
    const { state } = vehicle;
    const update: VehicleUpdate = { id: vehicleId, rev: vehicle.rev };
    for (const [section, rev] of vehicle.sectionRevs) {
      if (rev <= sinceRev) continue;
      if (section === 'details') {
        update.details = details(vehicle.record);
      } else if (section === 'presence') {
        update.online = state.online;
        update.lastSeenAt = state.lastSeenAt;
      } else if (section === 'overspeed') {
        update.overspeed = state.overspeed;
      } else if (section === 'position') {
        if (state.position) update.position = state.position;
      } else if (section === 'status') {
        if (state.status) update.status = state.status;
      } else if (section.startsWith('reading:')) {
        const reading = state.readings.get(section.slice('reading:'.length));
        if (reading) (update.readings ??= []).push(reading);
      } else {
        const dtc = state.dtcs.get(section.slice('dtc:'.length) as never);
        if (dtc) (update.dtcs ??= []).push(dtc);
      }
    }
    return update;
  }
}

/** The descriptive part of a record, as consoles see it. */
function details(record: VehicleRecord): VehicleDetails {
  return {
    name: record.name,
    plate: record.plate,
    vin: record.vin,
    fleetIds: record.fleetIds,
    deviceId: record.deviceId,
    driver: record.driver,
  };
}
