import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, databaseTargets, seed, startServer, testConfig } from './harness.js';
import type { RunningServer, Seed, TestDatabase } from './harness.js';

// Behind a reverse proxy that terminates TLS the server itself sees plain
// HTTP: only a proxy it trusts may say the client came over HTTPS, which is
// what marks the session cookie Secure. Independent of the database: SQLite.
describe('behind a reverse proxy', () => {
  let db: TestDatabase;
  let trusting: RunningServer;
  let untrusting: RunningServer;
  let s: Seed;

  beforeAll(async () => {
    db = await databaseTargets()[0]!.create();
    trusting = await startServer(testConfig(db.config, { trustProxy: ['loopback'] }));
    s = await seed(trusting.server);
    untrusting = await startServer(testConfig(db.config, { trustProxy: false }));
  });
  afterAll(async () => {
    await untrusting?.close();
    await trusting?.close();
    await db?.drop();
  });

  const sessionCookie = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email: s.dispatcherA, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie') ?? '';
  };

  it('marks the session cookie Secure when a trusted proxy says the client used HTTPS', async () => {
    expect(await sessionCookie(trusting.url, { 'x-forwarded-proto': 'https' })).toMatch(
      /;\s*Secure/i,
    );
    expect(await sessionCookie(trusting.url, { 'x-forwarded-proto': 'http' })).not.toMatch(
      /Secure/i,
    );
  });

  it('believes no forwarded header unless told to trust the proxy', async () => {
    expect(await sessionCookie(untrusting.url, { 'x-forwarded-proto': 'https' })).not.toMatch(
      /Secure/i,
    );
  });
});
