import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('locks an email after repeated failures until the window passes', () => {
    const throttle = new LoginThrottle(3, 1000);
    for (let i = 0; i < 3; i++) throttle.fail('a@x', 100 + i);
    expect(throttle.retryAfter('a@x', 200)).toBe(900);
    expect(throttle.retryAfter('b@x', 200)).toBe(0);
    expect(throttle.retryAfter('a@x', 1099)).toBe(1);
    expect(throttle.retryAfter('a@x', 1100)).toBe(0);
  });

  it('forgets failures after a success', () => {
    const throttle = new LoginThrottle(2, 1000);
    throttle.fail('a@x', 0);
    throttle.succeed('a@x');
    throttle.fail('a@x', 1);
    expect(throttle.retryAfter('a@x', 2)).toBe(0);
  });
});
