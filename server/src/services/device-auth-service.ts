import { AppError } from '../domain/errors.js';
import { hashToken, looksLikeToken } from '../security/tokens.js';
import type { DeviceRepository } from '../repositories/devices.js';
import type { TelemetryRepository } from '../repositories/telemetry.js';

export interface AuthenticatedDevice {
  deviceId: number;
  vehicleId: number;
  highestSeq: number;
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
    return { deviceId: device.id, vehicleId: device.vehicleId, highestSeq };
  }
}
