import { describe, expect, it } from 'vitest';
import { hashToken, looksLikeToken, newToken } from './tokens.js';

describe('tokens', () => {
  it('are prefixed, random and recognisable by kind', () => {
    const a = newToken('device');
    const b = newToken('device');
    expect(a).not.toBe(b);
    expect(looksLikeToken('device', a)).toBe(true);
    expect(looksLikeToken('session', a)).toBe(false);
    expect(looksLikeToken('session', newToken('session'))).toBe(true);
    expect(looksLikeToken('device', `${a}x`)).toBe(false);
  });

  it('are stored as a SHA-256 hex digest', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
