import { HardwareError } from '../errors.js';

/** No frame of the reply answers the request (wrong mode or PID): never decoded as something else. */
export class ReplyMismatchError extends HardwareError {
  readonly request: string;

  constructor(request: string, got: string) {
    super('reply_mismatch', `no frame answers ${request}; got ${got || 'nothing'}`);
    this.request = request;
  }
}

/** The ECU refused the request (service 7F) with a negative response code. */
export class ObdNegativeResponseError extends HardwareError {
  readonly mode: number;
  readonly code: number;
  readonly ecu: string | null;

  constructor(mode: number, code: number, ecu: string | null) {
    super(
      'obd_negative_response',
      `${ecu ?? 'ECU'} refused mode ${hex(mode)}: ${NEGATIVE_RESPONSES[code] ?? 'negative response'} (${hex(code)})`,
    );
    this.mode = mode;
    this.code = code;
    this.ecu = ecu;
  }
}

/** A reply that matches its request but cannot be decoded (truncated, malformed). */
export class ObdDecodeError extends HardwareError {
  constructor(message: string) {
    super('obd_decode', message);
  }
}

export function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

const NEGATIVE_RESPONSES: Record<number, string> = {
  0x10: 'general reject',
  0x11: 'service not supported',
  0x12: 'sub-function not supported',
  0x13: 'incorrect message length or format',
  0x21: 'busy, repeat request',
  0x22: 'conditions not correct',
  0x31: 'request out of range',
  0x33: 'security access denied',
  0x78: 'response pending',
};
