import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../src/core.js';
import type { Core } from '../src/core.js';
import { createLogger } from '../src/logger.js';
import { databaseTargets, testConfig } from './harness.js';
import type { TestDatabase } from './harness.js';

describe.each(databaseTargets())('accounts on $name', (target) => {
  let db: TestDatabase;
  let core: Core;

  beforeAll(async () => {
    db = await target.create();
    core = await createCore(testConfig(db.config), { logger: createLogger('silent') });
  });
  afterAll(async () => {
    await core?.db.close();
    await db?.drop();
  });

  it('creates the first administrator when none exists, even if other users do', async () => {
    const fleet = await core.accounts.createFleet({ name: 'Depot' });
    await core.accounts.createUser({
      email: 'd@example.test',
      name: 'D',
      password: 'long enough password',
      role: 'driver',
      fleetIds: [fleet.id],
    });
    const admin = await core.accounts.ensureInitialAdmin();
    expect(admin?.email).toBe('admin@fleetline.local');
    expect(admin?.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await expect(core.auth.login(admin!.email, admin!.password)).resolves.toMatchObject({
      user: { role: 'admin' },
    });
    expect(await core.accounts.ensureInitialAdmin()).toBeNull();
  });

  it('answers parallel creations of the same fleet, user or plate with one success and conflicts', async () => {
    const outcomes = async (create: () => Promise<unknown>): Promise<string[]> =>
      (await Promise.allSettled(Array.from({ length: 4 }, create)))
        .map((r) =>
          r.status === 'fulfilled' ? 'created' : ((r.reason as { slug?: string }).slug ?? 'other'),
        )
        .sort();
    const fourOf = ['conflict', 'conflict', 'conflict', 'created'];
    expect(await outcomes(() => core.accounts.createFleet({ name: 'Race' }))).toEqual(fourOf);
    const fleet = await core.accounts.createFleet({ name: 'Race track' });
    expect(
      await outcomes(() =>
        core.accounts.createUser({
          email: 'race@example.test',
          name: 'R',
          password: 'long enough password',
          role: 'dispatcher',
          fleetIds: [fleet.id],
        }),
      ),
    ).toEqual(fourOf);
    expect(
      await outcomes(() =>
        core.accounts.registerVehicle({ name: 'Racer', plate: 'RACE1', fleetIds: [fleet.id] }),
      ),
    ).toEqual(fourOf);
  });
});
