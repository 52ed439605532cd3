import type { Knex } from 'knex';
import { toNumber } from './types.js';

export interface SessionRecord {
  id: number;
  userId: number;
  expiresAt: number;
}

export class SessionRepository {
  constructor(private readonly knex: Knex) {}

  async create(session: {
    userId: number;
    tokenHash: string;
    now: number;
    expiresAt: number;
  }): Promise<number> {
    const [row] = await this.knex('sessions')
      .insert({
        user_id: session.userId,
        token_hash: session.tokenHash,
        created_at: session.now,
        expires_at: session.expiresAt,
      })
      .returning<{ id: number }[]>('id');
    return toNumber(row?.id);
  }

  async findActive(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    const row = await this.knex('sessions')
      .where({ token_hash: tokenHash })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .first<{ id: number; user_id: number; expires_at: number } | undefined>(
        'id',
        'user_id',
        'expires_at',
      );
    return row
      ? { id: toNumber(row.id), userId: toNumber(row.user_id), expiresAt: toNumber(row.expires_at) }
      : undefined;
  }

  /** Session ids among `ids` that are still valid. */
  async activeIds(ids: readonly number[], now: number): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.knex('sessions')
      .whereIn('id', ids)
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .select<{ id: number }[]>('id');
    return new Set(rows.map((r) => toNumber(r.id)));
  }

  async revoke(tokenHash: string, now: number): Promise<void> {
    await this.knex('sessions')
      .where({ token_hash: tokenHash })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
  }

  /** Keeps the table small: sessions expired for a day are of no use. */
  async deleteExpired(before: number): Promise<number> {
    return this.knex('sessions').where('expires_at', '<', before).delete();
  }
}
