import type { Knex } from 'knex';

/** A connection or a transaction: repositories take either for writes that join a larger unit. */
export type Queryable = Knex | Knex.Transaction;

/** The highest `id` in a table, 0 when it is empty. */
export async function maxId(knex: Knex, table: string): Promise<number> {
  const row = await knex(table).max<{ id: unknown }>({ id: 'id' }).first();
  return row?.id == null ? 0 : toNumber(row.id);
}

export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}
