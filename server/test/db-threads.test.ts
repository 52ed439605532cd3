import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import type { Database, Step } from '../src/db/database.js';
import { isDataError } from '../src/db/dialect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { databaseTargets } from './harness.js';
import type { TestDatabase } from './harness.js';

describe.each(databaseTargets())('database threads on $name', (target) => {
  let test: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    test = await target.create();
    db = createDatabase(test.config);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  it('a refused row rejects with the driver code and, on PostgreSQL, which key and constraint', async () => {
    const orphan: Step = {
      statements: [
        {
          sql: 'INSERT INTO fleet_members (fleet_id, user_id) VALUES (?, ?)',
          params: [999, 999],
          returns: false,
        },
      ],
    };
    const err: unknown = await db.runSteps([orphan]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isDataError(err)).toBe(true);
    if (target.name === 'postgres') {
      const config = test.config as Extract<typeof test.config, { kind: 'postgres' }>;
      expect(err).toMatchObject({
        code: '23503',
        constraint: 'fleet_members_fleet_id_foreign',
        table: 'fleet_members',
        schema: config.schema,
      });
      expect((err as { detail?: unknown }).detail).toMatch(
        /^Key \(fleet_id\)=\(999\) is not present in table "fleets"/,
      );
    } else {
      expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    }
  });
});
