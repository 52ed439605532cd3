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
 * What makes the text unfit to store, or null. Control characters: C0, C1
 * and DEL; PostgreSQL cannot store NUL in text at all, and none of them
 * belongs in a name, a plate or a unit. A lone UTF-16 surrogate (JSON can
 * carry one as "\ud800"): PostgreSQL refuses it, and SQLite stores bytes
 * that read back as something else.
 */
function textProblem(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'must not contain control characters';
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'must be valid Unicode (a lone surrogate)';
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return 'must be valid Unicode (a lone surrogate)';
    }
  }
  return null;
}

/** A single-line text: any Unicode characters but control characters. */
export function plainText() {
  return z.string().superRefine((s, ctx) => {
    const problem = textProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
