import { describe, expect, it } from 'vitest';
import { refusalHolds, serverKey, tokenHash } from './meta.js';
import type { Refusal } from './meta.js';

const TOKEN = `fld_${'A'.repeat(43)}`;

describe('a stored refusal', () => {
  it('records a server as origin and path, however the configuration spells it', () => {
    expect(serverKey('https://Fleet.Example.com:443/')).toBe('https://fleet.example.com');
    expect(serverKey('https://fleet.example.com/fleet/')).toBe('https://fleet.example.com/fleet');
    expect(serverKey('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });

  it('holds for the token and server it names, and one from before servers were kept for the token anywhere', () => {
    const refusal: Refusal = {
      type: 'device-token-invalid',
      message: 'Unknown device token',
      at: 0,
      tokenHash: tokenHash(TOKEN),
      serverUrl: 'https://fleet.example.com/fleet',
    };
    expect(refusalHolds(refusal, TOKEN, 'https://FLEET.example.com/fleet/')).toBe(true);
    expect(refusalHolds(refusal, TOKEN, 'https://fleet.example.com')).toBe(false);
    expect(refusalHolds(refusal, TOKEN, 'https://other.example.com/fleet')).toBe(false);
    expect(refusalHolds(refusal, `fld_${'B'.repeat(43)}`, 'https://fleet.example.com/fleet')).toBe(
      false,
    );
    const { serverUrl: _, ...legacy } = refusal;
    expect(refusalHolds(legacy, TOKEN, 'https://other.example.com')).toBe(true);
    expect(refusalHolds(legacy, `fld_${'B'.repeat(43)}`, 'https://other.example.com')).toBe(false);
  });
});
