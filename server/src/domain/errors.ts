import { PROBLEMS } from '@fleetline/protocol';
import type { ErrorBody, FieldError, ProblemSlug } from '@fleetline/protocol';

/**
 * A failure the caller can act on. It crosses process boundaries as data
 * (problem details over HTTP, `{ error }` over sockets) under its stable slug.
 * Anything that is not an AppError is reported as `internal`, without detail.
 */
export class AppError extends Error {
  constructor(
    readonly slug: ProblemSlug,
    message?: string,
    readonly errors?: FieldError[],
    /** For `rate-limited` and `unavailable`: when the caller may try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message ?? PROBLEMS[slug].title);
    this.name = 'AppError';
  }

  get status(): number {
    return PROBLEMS[this.slug].status;
  }

  toBody(): ErrorBody {
    return this.errors
      ? { type: this.slug, message: this.message, errors: this.errors }
      : { type: this.slug, message: this.message };
  }
}

export function toErrorBody(err: unknown): ErrorBody {
  return err instanceof AppError
    ? err.toBody()
    : { type: 'internal', message: PROBLEMS.internal.title };
}
