import { z } from 'zod';

/**
 * Largest id a database row can have: ids are 32-bit integer columns on
 * PostgreSQL. An id above it can name nothing, so schemas refuse it rather
 * than let the database fail on it.
 */
export const MAX_DB_ID = 2_147_483_647;

/** A row id: a positive integer a database column can hold. */
export const DbIdSchema = z.number().int().min(1).max(MAX_DB_ID);

/**
 * C0 and C1 control characters and DEL. PostgreSQL cannot store NUL in text
 * at all, and none of them belongs in a name, a plate or a unit.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A single-line text: any characters but control characters. */
export function plainText() {
  return z.string().refine((s) => !CONTROL_CHARACTERS.test(s), {
    message: 'must not contain control characters',
  });
}
