import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('locks an email after repeated failed attempts until the window passes', () => {
    const throttle = new LoginThrottle(3, 1000);
    for (let i = 0; i < 3; i++) expect(throttle.begin('a@x', 100 + i)).toBe(0);
    expect(throttle.begin('a@x', 200)).toBe(900);
    expect(throttle.begin('b@x', 200)).toBe(0);
    expect(throttle.begin('a@x', 1099)).toBe(1);
    // The refused attempts were not counted: the window runs from the first three.
    expect(throttle.begin('a@x', 1100)).toBe(0);
  });

  it('counts an attempt from its start, so parallel guesses cannot all slip through', () => {
    const throttle = new LoginThrottle(10, 60_000);
    // 40 guesses arrive before any password check has finished.
    const allowed = Array.from({ length: 40 }, () => throttle.begin('a@x', 5)).filter(
      (wait) => wait === 0,
    );
    expect(allowed).toHaveLength(10);
  });

  it('forgets failures after a success', () => {
    const throttle = new LoginThrottle(2, 1000);
    throttle.begin('a@x', 0);
    throttle.succeed('a@x');
    throttle.begin('a@x', 1);
    expect(throttle.begin('a@x', 2)).toBe(0);
    expect(throttle.begin('a@x', 3)).toBeGreaterThan(0);
  });
});
