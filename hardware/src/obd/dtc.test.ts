import { describe, expect, it } from 'vitest';
import { dtcToBytes } from '../simulators/dtc-bytes.js';
import { decodeTroubleCodes, describeTroubleCode, dtcFromBytes } from './dtc.js';

describe('trouble codes', () => {
  it('decodes the system from the top two bits and four hex digits from the rest', () => {
    expect(dtcFromBytes(0x01, 0x43)).toBe('P0143');
    expect(dtcFromBytes(0x41, 0x96)).toBe('C0196');
    expect(dtcFromBytes(0x82, 0x34)).toBe('B0234');
    expect(dtcFromBytes(0xc1, 0x00)).toBe('U0100');
    expect(dtcFromBytes(0x1a, 0xbc)).toBe('P1ABC');
    expect(dtcFromBytes(0x34, 0x56)).toBe('P3456');
  });

  it('round-trips through the encoder the simulator uses', () => {
    for (const code of ['P0301', 'P2196', 'C0035', 'B1234', 'U0073', 'P0A0F']) {
      const [high, low] = dtcToBytes(code);
      expect(dtcFromBytes(high, low)).toBe(code);
    }
  });

  it('reads the CAN count byte and stops there', () => {
    expect(
      decodeTroubleCodes(Uint8Array.from([0x02, 0x01, 0x43, 0x01, 0x96, 0x00, 0x00]), true),
    ).toEqual(['P0143', 'P0196']);
    expect(() => decodeTroubleCodes(Uint8Array.from([0x03, 0x01, 0x43]), true)).toThrow(
      /announces 3/,
    );
  });

  it('reads legacy frames of three codes, skipping the 0000 padding', () => {
    expect(
      decodeTroubleCodes(Uint8Array.from([0x01, 0x43, 0x00, 0x00, 0x00, 0x00]), false),
    ).toEqual(['P0143']);
  });

  it('describes generic codes and leaves manufacturer codes undescribed', () => {
    expect(describeTroubleCode('P0420').description).toMatch(/Catalyst/);
    expect(describeTroubleCode('P0304')).toMatchObject({
      generic: true,
      description: 'Cylinder 4 misfire detected',
    });
    expect(describeTroubleCode('P0207').description).toMatch(/cylinder 7/);
    expect(describeTroubleCode('U0100')).toMatchObject({ system: 'network', generic: true });
    expect(describeTroubleCode('P1456')).toMatchObject({ generic: false, description: null });
    expect(describeTroubleCode('C1234')).toMatchObject({ system: 'chassis', generic: false });
  });
});
