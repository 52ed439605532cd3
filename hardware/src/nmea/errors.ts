import { HardwareError } from '../errors.js';

export class NmeaChecksumError extends HardwareError {
  readonly line: string;

  constructor(line: string, expected: number, actual: number) {
    super(
      'nmea_checksum',
      `checksum ${actual.toString(16).toUpperCase().padStart(2, '0')} != computed ${expected
        .toString(16)
        .toUpperCase()
        .padStart(2, '0')}`,
    );
    this.line = line;
  }
}

export class NmeaFormatError extends HardwareError {
  readonly line: string;

  constructor(line: string, reason: string) {
    super('nmea_format', reason);
    this.line = line;
  }
}
