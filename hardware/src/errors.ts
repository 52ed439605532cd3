/**
 * Every failure the hardware layer reports is a HardwareError with a stable
 * `type`, so the companion can branch on data (and forward it as
 * `{ error: { type, message } }`) instead of parsing messages.
 */
export type HardwareErrorType =
  | 'transport_open_failed'
  | 'transport_not_open'
  | 'transport_closed'
  | 'device_gone'
  | 'write_failed'
  | 'timeout'
  | 'adapter_unresponsive'
  | 'adapter_reply'
  | 'reply_mismatch'
  | 'obd_negative_response'
  | 'isotp'
  | 'obd_decode'
  | 'nmea_checksum'
  | 'nmea_format'
  | 'ble_unavailable'
  | 'ble_profile_not_found'
  | 'ble_device_not_found'
  | 'guard'
  | 'simulator';

export class HardwareError extends Error {
  readonly type: HardwareErrorType;

  constructor(type: HardwareErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.type = type;
    this.name = new.target.name;
  }

  toPayload(): { error: { type: HardwareErrorType; message: string } } {
    return { error: { type: this.type, message: this.message } };
  }
}

export class TransportOpenError extends HardwareError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('transport_open_failed', message, options);
  }
}

export class TransportNotOpenError extends HardwareError {
  constructor(description: string) {
    super('transport_not_open', `${description} is not open`);
  }
}

/** The transport was closed on purpose (by us); distinct from the device going away. */
export class TransportClosedError extends HardwareError {
  constructor(description: string) {
    super('transport_closed', `${description} was closed`);
  }
}

/** The device went away: unplugged, powered down, out of radio range, socket reset. */
export class DeviceGoneError extends HardwareError {
  constructor(description: string, options?: { cause?: unknown }) {
    super('device_gone', `${description} went away`, options);
  }
}

export class WriteError extends HardwareError {
  constructor(description: string, options?: { cause?: unknown }) {
    super('write_failed', `writing to ${description} failed`, options);
  }
}

export class TimeoutError extends HardwareError {
  readonly command: string;
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number) {
    super('timeout', `no prompt after ${JSON.stringify(command)} within ${timeoutMs} ms`);
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

/** The adapter stopped answering and a reset did not bring it back. */
export class AdapterUnresponsiveError extends HardwareError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('adapter_unresponsive', message, options);
  }
}

export class GuardError extends HardwareError {
  constructor(message: string) {
    super('guard', message);
  }
}

export class SimulatorError extends HardwareError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('simulator', message, options);
  }
}

export function isHardwareError(value: unknown): value is HardwareError {
  return value instanceof HardwareError;
}
