import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('hunter2 hunter2', 12);
    expect(hash).toMatch(/^scrypt\$12\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('hunter2 hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter2 hunter3', hash)).toBe(false);
  });

  it('salts every hash, and keeps verifying hashes made at another cost', async () => {
    const [a, b] = await Promise.all([hashPassword('same', 12), hashPassword('same', 13)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats Unicode forms of one password as the same password', async () => {
    const hash = await hashPassword('caf\u00e9', 12);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('refuses malformed or unsupported stored hashes without throwing', async () => {
    for (const stored of ['', 'plain', 'bcrypt$x', 'scrypt$99$8$1$aa$bb', 'scrypt$x$8$1$aa$bb']) {
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });
});
