import type { Fleet, FleetSnapshotMessage } from '@fleetline/protocol';
import type { Clock } from '../domain/clock.js';
import type { LiveState } from '../live/live-state.js';
import type { VehicleDirectory } from '../live/vehicle-directory.js';
import type { FleetRepository } from '../repositories/fleets.js';
import type { AccessPolicy, AuthenticatedUser } from './access.js';

export interface FleetScope {
  fleets: Fleet[];
  vehicleIds: ReadonlySet<number>;
}

/**
 * The fleets and vehicles one user sees, and their snapshot. Scopes are
 * cached per set of fleets and shared: consoles on the same fleets get the
 * same scope object, which lets the feed build their messages once.
 */
export class FleetView {
  private readonly scopes = new Map<string, Promise<FleetScope>>();

  constructor(
    private readonly access: AccessPolicy,
    private readonly fleets: FleetRepository,
    private readonly directory: VehicleDirectory,
    private readonly live: LiveState,
    private readonly clock: Clock,
  ) {}

  /** `fleetFilter`: fleets already checked as visible, or null for all the user may see. */
  async scope(user: AuthenticatedUser, fleetFilter: readonly number[] | null): Promise<FleetScope> {
    const visible = fleetFilter ?? (await this.access.visibleFleetIds(user));
    const fleetIds = [...new Set(visible)].sort((a, b) => a - b);
    const key = fleetIds.join(',');
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = this.load(fleetIds);
      this.scopes.set(key, scope);
      scope.catch(() => this.scopes.delete(key));
    }
    return scope;
  }

  /** Vehicles or fleets changed: scopes are computed afresh. */
  invalidate(): void {
    this.scopes.clear();
  }

  private async load(fleetIds: number[]): Promise<FleetScope> {
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
