import { describe, expect, it } from 'vitest';
import { describeTroubleCode } from './trouble-codes.js';

describe('describeTroubleCode', () => {
  it('describes known generic codes, by table and by rule', () => {
    expect(describeTroubleCode('U0100')).toMatchObject({
      system: 'network',
      generic: true,
      category: 'Network communication',
    });
    expect(describeTroubleCode('P0307').description).toBe('Cylinder 7 misfire detected');
    expect(describeTroubleCode('P0355').description).toMatch(/^Ignition coil E/);
  });

  it('gives every generic code its J2012 subsystem, even without a description', () => {
    const code = describeTroubleCode('P0499');
    expect(code.generic).toBe(true);
    expect(code.category).toBe('Auxiliary emission controls');
    expect(describeTroubleCode('P2566').category).toBe('Auxiliary inputs');
    expect(describeTroubleCode('P0A80').category).toBe('Hybrid propulsion');
  });

  it('does not guess at manufacturer codes', () => {
    expect(describeTroubleCode('P1234')).toEqual({
      code: 'P1234',
      system: 'powertrain',
      generic: false,
      description: null,
      category: null,
    });
    expect(describeTroubleCode('B1A00').generic).toBe(false);
  });
});
