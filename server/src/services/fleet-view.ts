import type { Fleet, FleetSnapshotMessage } from '@fleetline/protocol';
import type { Clock } from '../domain/clock.js';
import type { LiveState } from '../live/live-state.js';
import type { VehicleDirectory } from '../live/vehicle-directory.js';
import type { FleetRepository } from '../repositories/fleets.js';
import type { AccessPolicy, AuthenticatedUser } from './access.js';

export interface FleetScope {
  fleets: Fleet[];
  vehicleIds: Set<number>;
}

/** The fleets and vehicles one user sees, and their snapshot. */
export class FleetView {
  constructor(
    private readonly access: AccessPolicy,
    private readonly fleets: FleetRepository,
    private readonly directory: VehicleDirectory,
    private readonly live: LiveState,
    private readonly clock: Clock,
  ) {}

  /** `fleetFilter`: fleets already checked as visible, or null for all the user may see. */
  async scope(user: AuthenticatedUser, fleetFilter: readonly number[] | null): Promise<FleetScope> {
    const fleetIds = fleetFilter ?? (await this.access.visibleFleetIds(user));
    const [vehicleIds, fleets] = await Promise.all([
      this.access.vehicleIdsInFleets(fleetIds),
      this.fleets.list(fleetIds),
    ]);
    await this.directory.ensure(vehicleIds);
    return { fleets, vehicleIds: new Set(vehicleIds) };
  }

  async snapshot(
    user: AuthenticatedUser,
    requestedFleets: readonly number[] | null,
  ): Promise<FleetSnapshotMessage> {
    const fleetFilter = requestedFleets
      ? await this.access.narrowFleets(user, requestedFleets)
      : null;
    const scope = await this.scope(user, fleetFilter);
    const vehicles = [...scope.vehicleIds].flatMap((id) => this.live.snapshot(id) ?? []);
    return {
      cursor: { epoch: this.live.epoch, rev: this.live.rev },
      full: true,
      fleets: scope.fleets,
      vehicles,
      serverTime: this.clock.now(),
    };
  }
}
