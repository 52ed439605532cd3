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
 * Whether the text holds a C0 or C1 control character, or DEL. PostgreSQL
 * cannot store NUL in text at all, and none of them belongs in a name, a
 * plate or a unit.
 */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** A single-line text: any characters but control characters. */
export function plainText() {
  return z.string().refine((s) => !hasControlCharacter(s), {
    message: 'must not contain control characters',
  });
}
