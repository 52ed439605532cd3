import { ProblemDetailsSchema } from '@fleetline/protocol';
import type { FieldError } from '@fleetline/protocol';
import type { z } from 'zod';

/**
 * Why a call failed: a problem type slug from the server (`unauthenticated`,
 * ...), or one of the client's own: `network`, `timeout`, `invalid-response`,
 * `http` (an error without a problem document).
 */
export type ApiErrorType = string;

/**
 * Every failure of a REST call, as data the UI can branch on (`type`) and
 * show (`message`). Server problems keep their slug (`unauthenticated`,
 * `forbidden-fleet`, ...); a server that cannot be reached is `network`; an
 * answer that does not match the protocol's schema is `invalid-response`.
 */
export class ApiError extends Error {
  constructor(
    readonly type: ApiErrorType,
    message: string,
    readonly status: number | null = null,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static async fromResponse(res: Response): Promise<ApiError> {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    const problem = ProblemDetailsSchema.safeParse(body);
    if (!problem.success)
      return new ApiError(
        'http',
        `the server answered ${res.status} ${res.statusText}`,
        res.status,
      );
    const slug = problem.data.type.replace(/^\/problems\//, '');
    return new ApiError(
      slug,
      problem.data.detail ?? problem.data.title,
      problem.data.status,
      problem.data.errors ?? [],
    );
  }

  static fromSchema(what: string, error: z.ZodError): ApiError {
    const first = error.issues[0];
    const where = first?.path.length ? first.path.map(String).join('.') : '(body)';
    return new ApiError(
      'invalid-response',
      `the server's answer to ${what} is not valid: ${where}: ${first?.message ?? 'unexpected'}`,
    );
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'unexpected error';
}
