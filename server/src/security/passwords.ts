import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (RFC 7914) from node:crypto: a memory-hard
 * KDF with no native dependency. The default cost follows OWASP's password
 * storage guidance (N=2^17, r=8, p=1). Parameters are stored in the hash, so
 * the cost can be raised later without invalidating existing passwords.
 *
 * Format: scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>
 */

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function optionsFor(log2N: number, r: number, p: number): ScryptOptions {
  // scrypt needs 128 * N * r bytes; node refuses above maxmem, default 32 MiB.
  return { N: 2 ** log2N, r, p, maxmem: 128 * 2 ** log2N * r * 2 };
}

export async function hashPassword(password: string, log2N: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, optionsFor(log2N, BLOCK_SIZE, PARALLELISM));
  return [
    'scrypt',
    log2N,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every(Number.isInteger) || log2N < 10 || log2N > 22) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  const actual = await derive(password, salt, optionsFor(log2N, r, p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash to verify against when the account does not exist, so that a wrong
 * email costs as long as a wrong password and does not reveal which it was.
 */
export function decoyHash(log2N: number): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'), log2N);
}
