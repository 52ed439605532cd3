import type { Knex } from 'knex';
import type { Role } from '@fleetline/protocol';
import { toNullableNumber, toNumber } from './types.js';
import type { Queryable } from './types.js';

export interface UserRecord {
  id: number;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  disabledAt: number | null;
}

interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  disabled_at: number | null;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: toNumber(row.id),
    email: row.email,
    name: row.name,
    role: row.role,
    passwordHash: row.password_hash,
    disabledAt: toNullableNumber(row.disabled_at),
  };
}

export class UserRepository {
  constructor(private readonly knex: Knex) {}

  /** How many users there are, or how many with `role`. */
  async count(role?: Role): Promise<number> {
    const query = this.knex('users').count({ n: '*' });
    if (role) void query.where({ role }).whereNull('disabled_at');
    const row = await query.first();
    return toNumber(row?.n ?? 0);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.knex<UserRow>('users').where({ email: email.toLowerCase() }).first();
    return row ? toRecord(row) : undefined;
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    const row = await this.knex<UserRow>('users').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.knex<UserRow>('users').orderBy('id');
    return rows.map(toRecord);
  }

  async create(
    q: Queryable,
    user: { email: string; name: string; role: Role; passwordHash: string; now: number },
  ): Promise<number> {
    const [row] = await q('users')
      .insert({
        email: user.email.toLowerCase(),
        name: user.name,
        role: user.role,
        password_hash: user.passwordHash,
        created_at: user.now,
      })
      .returning<{ id: number }[]>('id');
    return toNumber(row?.id);
  }

  async fleetIds(userId: number): Promise<number[]> {
    const rows = await this.knex('fleet_members')
      .where({ user_id: userId })
      .orderBy('fleet_id')
      .select<{ fleet_id: number }[]>('fleet_id');
    return rows.map((r) => toNumber(r.fleet_id));
  }

  async addToFleets(q: Queryable, userId: number, fleetIds: readonly number[]): Promise<void> {
    if (fleetIds.length === 0) return;
    await q('fleet_members')
      .insert(fleetIds.map((fleetId) => ({ fleet_id: fleetId, user_id: userId })))
      .onConflict(['fleet_id', 'user_id'])
      .ignore();
  }
}
