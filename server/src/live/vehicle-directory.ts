import type { VehicleRepository } from '../repositories/vehicles.js';
import type { VehicleStateRepository } from '../repositories/vehicle-states.js';
import type { LiveState } from './live-state.js';

/** Loads vehicle records and persisted state into the live state. */
export class VehicleDirectory {
  constructor(
    private readonly live: LiveState,
    private readonly vehicles: VehicleRepository,
    private readonly states: VehicleStateRepository,
  ) {}

  /** At start: every vehicle with its last persisted state. */
  async loadAll(): Promise<void> {
    const [records, states] = await Promise.all([this.vehicles.records(), this.states.loadAll()]);
    this.live.upsertRecords(records, states);
  }

  /**
   * Loads vehicles the live state does not know (registered by another
   * process, say); returns the ones it loaded, which consoles have not seen.
   */
  async ensure(vehicleIds: readonly number[]): Promise<number[]> {
    const missing = vehicleIds.filter((id) => !this.live.has(id));
    if (missing.length === 0) return [];
    const [records, states] = await Promise.all([
      this.vehicles.records(missing),
      this.states.loadAll(missing),
    ]);
    this.live.upsertRecords(records, states);
    return records.map((record) => record.id);
  }

  /**
   * Re-reads records (name, fleets, limits, device, driver) after they
   * changed; returns the vehicles whose details consoles must be told about.
   * A vehicle no longer in the database leaves the live state.
   */
  async refresh(vehicleIds: readonly number[]): Promise<number[]> {
    const records = await this.vehicles.records(vehicleIds);
    const found = new Set(records.map((r) => r.id));
    for (const id of vehicleIds) if (!found.has(id)) this.live.forget(id);
    // States only matter for vehicles new to the live state.
    const states = await this.states.loadAll(
      records.map((r) => r.id).filter((id) => !this.live.has(id)),
    );
    return this.live.upsertRecords(records, states);
  }
}
