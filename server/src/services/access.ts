import { CONSOLE_ROLES } from '@fleetline/protocol';
import type { CurrentUser, Role } from '@fleetline/protocol';
import { AppError } from '../domain/errors.js';
import type { Visibility } from '../repositories/events.js';
import type { FleetRepository } from '../repositories/fleets.js';
import type { VehicleRepository } from '../repositories/vehicles.js';

/** A signed-in user, as every handler and gateway sees them. */
export type AuthenticatedUser = CurrentUser & { sessionId: number };

const consoleRoles = new Set<Role>(CONSOLE_ROLES);

export function assertConsoleUser(user: AuthenticatedUser): void {
  if (!consoleRoles.has(user.role))
    throw new AppError('forbidden', `the ${user.role} role has no access to the console`);
}

/**
 * Who sees what: an admin sees every fleet; anyone else sees the fleets they
 * are a member of, and the vehicles in them.
 */
export class AccessPolicy {
  constructor(
    private readonly fleets: FleetRepository,
    private readonly vehicles: VehicleRepository,
  ) {}

  visibility(user: AuthenticatedUser): Visibility {
    return user.role === 'admin' ? { all: true } : { all: false, fleetIds: user.fleetIds };
  }

  async visibleFleetIds(user: AuthenticatedUser): Promise<number[]> {
    if (user.role === 'admin') return (await this.fleets.list()).map((f) => f.id);
    return user.fleetIds;
  }

  /**
   * The fleets a console asked for, checked against what the user may see.
   * Asking for a fleet one may not see is an error, not a silent narrowing.
   */
  async narrowFleets(
    user: AuthenticatedUser,
    requested: readonly number[] | null | undefined,
  ): Promise<number[]> {
    const visible = await this.visibleFleetIds(user);
    if (!requested) return visible;
    const allowed = new Set(visible);
    const refused = requested.filter((id) => !allowed.has(id));
    if (refused.length > 0) {
      throw new AppError('forbidden-fleet', `fleet ${refused.join(', ')} is not visible to you`, [
        { path: 'fleetIds', message: `not visible: ${refused.join(', ')}` },
      ]);
    }
    return [...new Set(requested)];
  }

  vehicleIdsInFleets(fleetIds: readonly number[]): Promise<number[]> {
    return this.vehicles.idsInFleets(fleetIds);
  }

  /** Not found, rather than forbidden: a user does not learn which ids exist elsewhere. */
  async assertVehicleVisible(user: AuthenticatedUser, vehicleId: number): Promise<void> {
    const visible =
      user.role === 'admin'
        ? await this.vehicles.exists(vehicleId)
        : (await this.vehicles.idsInFleets(user.fleetIds)).includes(vehicleId);
    if (!visible) throw new AppError('not-found', `vehicle ${vehicleId} not found`);
  }
}
