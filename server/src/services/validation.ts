import { fieldErrors } from '@fleetline/protocol';
import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

/** Parses untrusted input with a protocol schema; a failure lists every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: string[] = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const errors = fieldErrors(result.error, prefix);
    throw new AppError(
      'validation-failed',
      errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '),
      errors,
    );
  }
  return result.data;
}
