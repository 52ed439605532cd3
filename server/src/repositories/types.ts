import type { Knex } from 'knex';

/** A connection or a transaction: repositories take either for writes that join a larger unit. */
export type Queryable = Knex | Knex.Transaction;

export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}
