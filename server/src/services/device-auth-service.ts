import { AppError } from '../domain/errors.js';
import { hashToken, looksLikeToken } from '../security/tokens.js';
import type { DeviceRepository } from '../repositories/devices.js';
import type { TelemetryRepository } from '../repositories/telemetry.js';

export interface AuthenticatedDevice {
  deviceId: number;
  vehicleId: number;
  highestSeq: number;
  /**
   * The outbox of the last connection that sent telemetry with this token,
   * as it was when this connection authenticated (the hello's lastOutboxId).
   */
  lastOutboxId: string | null;
}

export class DeviceAuthService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly telemetry: TelemetryRepository,
  ) {}

  async authenticate(token: string): Promise<AuthenticatedDevice> {
    if (!looksLikeToken('device', token)) throw new AppError('device-token-invalid');
    const device = await this.devices.findByTokenHash(hashToken(token));
    if (!device) throw new AppError('device-token-invalid');
    if (device.revokedAt !== null) throw new AppError('device-token-revoked');
    const highestSeq = await this.telemetry.highestSeq(device.id);
    return {
      deviceId: device.id,
      vehicleId: device.vehicleId,
      highestSeq,
      lastOutboxId: device.lastOutboxId,
    };
  }

  /** Records the outbox a connection named (null: none) as the token's last. */
  async recordOutbox(deviceId: number, outboxId: string | null): Promise<void> {
    await this.devices.setLastOutbox(deviceId, outboxId);
  }
}
