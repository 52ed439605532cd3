import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  CurrentUser,
  DriverRef,
  Fleet,
  RegisterVehicleResponse,
  Role,
} from '@fleetline/protocol';
import {
  AssignDriverRequestSchema,
  DbIdSchema,
  CreateFleetRequestSchema,
  CreateUserRequestSchema,
  RegisterVehicleRequestSchema,
} from '@fleetline/protocol';
import { isUniqueViolation } from '../db/dialect.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { hashPassword } from '../security/passwords.js';
import { hashToken, looksLikeToken, newToken } from '../security/tokens.js';
import type { DeviceRepository } from '../repositories/devices.js';
import type { FleetRepository } from '../repositories/fleets.js';
import type { UserRepository } from '../repositories/users.js';
import type { VehicleChangeRepository } from '../repositories/vehicle-changes.js';
import type { VehicleRepository } from '../repositories/vehicles.js';
import { parseOrThrow } from './validation.js';

/** What the realtime side must learn when accounts change. */
export interface AccountListener {
  /** Vehicles were added or their fleets changed. */
  vehiclesChanged(vehicleIds: readonly number[]): void;
  /** Devices may no longer connect: drop their sessions. */
  devicesRevoked(deviceIds: readonly number[], reason: 'revoked' | 'replaced'): void;
}

export interface InitialAdmin {
  email: string;
  password: string;
}

export const INITIAL_ADMIN_EMAIL = 'admin@fleetline.local';

export class AccountService {
  private listener: AccountListener = { vehiclesChanged: () => {}, devicesRevoked: () => {} };

  constructor(
    private readonly knex: Knex,
    private readonly repos: {
      users: UserRepository;
      fleets: FleetRepository;
      vehicles: VehicleRepository;
      devices: DeviceRepository;
      /** Every vehicle change is recorded there too, for servers that did not make it (the CLI's). */
      vehicleChanges: VehicleChangeRepository;
    },
    private readonly clock: Clock,
    private readonly options: { passwordHashCost: number },
  ) {}

  setListener(listener: AccountListener): void {
    this.listener = listener;
  }

  async createFleet(input: unknown): Promise<Fleet> {
    const req = parseOrThrow(CreateFleetRequestSchema, input);
    const exists = (): AppError => new AppError('conflict', `a fleet named "${req.name}" exists`);
    if (await this.repos.fleets.findByName(req.name)) throw exists();
    const id = await conflictOnDuplicate(
      () => this.repos.fleets.create(this.knex, { ...req, now: this.clock.now() }),
      exists,
    );
    return { id, name: req.name, overspeedLimitKmh: req.overspeedLimitKmh };
  }

  async createUser(input: unknown): Promise<CurrentUser> {
    const req = parseOrThrow(CreateUserRequestSchema, input);
    await this.assertFleetsExist(req.fleetIds);
    const exists = (): AppError =>
      new AppError('conflict', `a user with email ${req.email} exists`);
    if (await this.repos.users.findByEmail(req.email)) throw exists();
    const passwordHash = await hashPassword(req.password, this.options.passwordHashCost);
    const id = await conflictOnDuplicate(
      () =>
        this.knex.transaction(async (trx) => {
          const userId = await this.repos.users.create(trx, {
            ...req,
            passwordHash,
            now: this.clock.now(),
          });
          await this.repos.users.addToFleets(trx, userId, req.fleetIds);
          return userId;
        }),
      exists,
    );
    return {
      id,
      email: req.email,
      name: req.name,
      role: req.role,
      fleetIds: [...new Set(req.fleetIds)].sort((a, b) => a - b),
    };
  }

  /** Registers a vehicle with its device; the device token is returned here and never again. */
  async registerVehicle(input: unknown): Promise<RegisterVehicleResponse> {
    const req = parseOrThrow(RegisterVehicleRequestSchema, input);
    const fleetIds = [...new Set(req.fleetIds)].sort((a, b) => a - b);
    await this.assertFleetsExist(fleetIds);
    const plate = req.plate ?? null;
    const vin = req.vin ?? null;
    const driver = req.driverUserId ? await this.driverRef(req.driverUserId, 'driverUserId') : null;
    const token = newToken('device');
    const now = this.clock.now();
    const exists = (): AppError => new AppError('conflict', `a vehicle with plate ${plate} exists`);
    // The check gives the usual answer; the unique index decides a race between two requests.
    const result = await conflictOnDuplicate(
      () =>
        this.knex.transaction(async (trx) => {
          if (plate && (await trx('vehicles').where({ plate }).first('id'))) throw exists();
          const vehicleId = await this.repos.vehicles.create(trx, {
            name: req.name,
            plate,
            vin,
            driverUserId: driver?.id ?? null,
            now,
          });
          await this.repos.vehicles.addToFleets(trx, vehicleId, fleetIds);
          const deviceId = await this.repos.devices.create(trx, {
            vehicleId,
            tokenHash: hashToken(token),
            now,
          });
          await this.repos.vehicleChanges.record(trx, [vehicleId], now);
          return { vehicleId, deviceId };
        }),
      exists,
    );
    this.listener.vehiclesChanged([result.vehicleId]);
    return {
      vehicle: { id: result.vehicleId, name: req.name, plate, vin, fleetIds, driver },
      device: { id: result.deviceId, token },
    };
  }

  /** Gives a vehicle to a driver (a user with the driver role), or takes it back with null. */
  async assignDriver(vehicleId: number, input: unknown): Promise<DriverRef | null> {
    const req = parseOrThrow(AssignDriverRequestSchema, input);
    const driver = req.userId === null ? null : await this.driverRef(req.userId, 'userId');
    await this.knex.transaction(async (trx) => {
      if (!(await this.repos.vehicles.setDriver(trx, vehicleId, driver?.id ?? null))) {
        throw new AppError('not-found', `vehicle ${vehicleId} not found`);
      }
      await this.repos.vehicleChanges.record(trx, [vehicleId], this.clock.now());
    });
    this.listener.vehiclesChanged([vehicleId]);
    return driver;
  }

  private async driverRef(userId: number, field: string): Promise<DriverRef> {
    const user = await this.repos.users.findById(userId);
    if (!user || user.role !== 'driver' || user.disabledAt !== null) {
      throw new AppError('validation-failed', `user ${userId} is not an active driver`, [
        { path: field, message: 'must be an active user with the driver role' },
      ]);
    }
    return { id: user.id, name: user.name };
  }

  /** Issues a new device token for a vehicle, revoking the previous device (one companion per vehicle). */
  async replaceDevice(vehicleId: number): Promise<{ id: number; token: string }> {
    if (!(await this.repos.vehicles.exists(vehicleId)))
      throw new AppError('not-found', `vehicle ${vehicleId} not found`);
    const token = newToken('device');
    const now = this.clock.now();
    const { deviceId, revoked } = await this.knex.transaction(async (trx) => {
      const revokedIds = await this.repos.devices.revokeActiveForVehicle(trx, vehicleId, now);
      const id = await this.repos.devices.create(trx, {
        vehicleId,
        tokenHash: hashToken(token),
        now,
      });
      await this.repos.vehicleChanges.record(trx, [vehicleId], now);
      return { deviceId: id, revoked: revokedIds };
    });
    if (revoked.length > 0) this.listener.devicesRevoked(revoked, 'replaced');
    this.listener.vehiclesChanged([vehicleId]);
    return { id: deviceId, token };
  }

  async revokeDevice(deviceId: number): Promise<void> {
    const device = await this.repos.devices.findById(deviceId);
    if (!device) throw new AppError('not-found', `device ${deviceId} not found`);
    await this.knex.transaction(async (trx) => {
      const now = this.clock.now();
      if (!(await this.repos.devices.revoke(trx, deviceId, now))) {
        throw new AppError('conflict', `device ${deviceId} is already revoked`);
      }
      await this.repos.vehicleChanges.record(trx, [device.vehicleId], now);
    });
    this.listener.devicesRevoked([deviceId], 'revoked');
    this.listener.vehiclesChanged([device.vehicleId]);
  }

  /**
   * When no administrator exists (a first start), creates one with a random
   * password. Other users may exist already: drivers created by the demo
   * fleet's launcher, or users created from the CLI before the first start.
   */
  async ensureInitialAdmin(): Promise<InitialAdmin | null> {
    if ((await this.repos.users.count('admin')) > 0) return null;
    const password = randomBytes(12).toString('base64url');
    await this.createUser({
      email: INITIAL_ADMIN_EMAIL,
      name: 'Administrator',
      password,
      role: 'admin' satisfies Role,
    });
    return { email: INITIAL_ADMIN_EMAIL, password };
  }

  /** Whether a device token would be accepted now (known and not revoked). */
  async isDeviceTokenActive(token: string): Promise<boolean> {
    if (!looksLikeToken('device', token)) return false;
    const device = await this.repos.devices.findByTokenHash(hashToken(token));
    return device !== undefined && device.revokedAt === null;
  }

  /** The vehicle with this plate, if any. */
  async findVehicleByPlate(plate: string): Promise<{ id: number; name: string } | undefined> {
    return this.repos.vehicles.findByPlate(plate);
  }

  listFleets(): Promise<Fleet[]> {
    return this.repos.fleets.list();
  }

  async findFleetId(nameOrId: string): Promise<number> {
    const asId = DbIdSchema.safeParse(/^\d+$/.test(nameOrId) ? Number(nameOrId) : NaN);
    if (asId.success) {
      const [id] = await this.repos.fleets.existing([asId.data]);
      if (id !== undefined) return id;
    }
    const fleet = await this.repos.fleets.findByName(nameOrId);
    if (!fleet) throw new AppError('not-found', `no fleet "${nameOrId}"`);
    return fleet.id;
  }

  private async assertFleetsExist(fleetIds: readonly number[]): Promise<void> {
    const existing = new Set(await this.repos.fleets.existing(fleetIds));
    const missing = fleetIds.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      throw new AppError('validation-failed', `unknown fleet ${missing.join(', ')}`, [
        { path: 'fleetIds', message: `unknown fleet ${missing.join(', ')}` },
      ]);
    }
  }
}

/** Runs an insert whose uniqueness was checked first; losing a race to another request is a conflict too. */
async function conflictOnDuplicate<T>(
  insert: () => Promise<T>,
  conflict: () => AppError,
): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
}
