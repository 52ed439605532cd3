import { describe, expect, it } from 'vitest';
import { ObdDecodeError } from './errors.js';
import { decodeCalibrationIds, decodeEcuName, decodeVin, infoTypePayload } from './mode09.js';

const bytes = (text: string): number[] => [...Buffer.from(text, 'latin1')];
const VIN = '1FL7SMV3HPC000001';

describe('service 09', () => {
  it('reads the VIN from one CAN message, all 17 characters exactly', () => {
    const payload = infoTypePayload(
      [{ ecu: '7E8', bytes: Uint8Array.from([0x49, 0x02, 0x01, ...bytes(VIN)]) }],
      0x02,
      true,
    );
    expect(decodeVin(payload)).toBe(VIN);
  });

  it('joins legacy messages by sequence number, whatever order they came in', () => {
    const data = [0, 0, 0, ...bytes(VIN)];
    const messages = [0, 1, 2, 3, 4].map((i) => ({
      ecu: '486B10',
      bytes: Uint8Array.from([0x49, 0x02, i + 1, ...data.slice(i * 4, i * 4 + 4)]),
    }));
    const shuffled = [messages[3], messages[0], messages[4], messages[1], messages[2]].filter(
      (m) => m !== undefined,
    );
    expect(decodeVin(infoTypePayload(shuffled, 0x02, false))).toBe(VIN);
    expect(() => infoTypePayload(messages.slice(1), 0x02, false)).toThrow(/message 1 is missing/);
  });

  it('rejects a VIN that is not 17 valid characters', () => {
    expect(() => decodeVin(Uint8Array.from(bytes(VIN.slice(1))))).toThrow(ObdDecodeError);
    expect(() => decodeVin(Uint8Array.from(bytes('1FL7SMV3HPC00000O')))).toThrow(ObdDecodeError);
  });

  it('reads calibration IDs in 16-byte blocks and the ECU name', () => {
    const cal = [
      ...bytes('CAL-ONE'),
      ...new Array<number>(9).fill(0),
      ...bytes('CAL-TWO-12345678'),
    ];
    expect(decodeCalibrationIds(Uint8Array.from(cal))).toEqual(['CAL-ONE', 'CAL-TWO-12345678']);
    expect(() => decodeCalibrationIds(Uint8Array.from(cal.slice(1)))).toThrow(/16-byte/);
    expect(decodeEcuName(Uint8Array.from(bytes('ECM\0-EngineControl\0\0')))).toBe(
      'ECM-EngineControl',
    );
  });
});
