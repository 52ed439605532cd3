import { z } from 'zod';

/**
 * Stable error identifiers. REST answers carry them as RFC 9457 problem
 * details (`type` is `/problems/<slug>`); socket acks and connect errors carry
 * them as `{ error: { type: <slug>, message } }`. Clients branch on the slug,
 * never on the message.
 */
export const PROBLEMS = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'malformed-body': { status: 400, title: 'The body could not be read' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  'invalid-credentials': { status: 401, title: 'Email or password is wrong' },
  forbidden: { status: 403, title: 'You may not do this' },
  'forbidden-fleet': { status: 403, title: 'You may not see this fleet' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflicts with existing data' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'rate-limited': { status: 429, title: 'Too many requests; retry later' },
  'unsupported-media-type': { status: 415, title: 'The body must be application/json' },
  'device-token-invalid': { status: 401, title: 'The device token is not known' },
  'device-token-revoked': { status: 401, title: 'The device token was revoked' },
  'batch-too-large': { status: 413, title: 'The batch holds too many samples' },
  'batch-malformed': { status: 400, title: 'The batch is not a telemetry batch' },
  'shutting-down': { status: 503, title: 'The server is shutting down' },
  unavailable: { status: 503, title: 'A dependency is unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemSlug = keyof typeof PROBLEMS;
export const PROBLEM_SLUGS = Object.keys(PROBLEMS) as [ProblemSlug, ...ProblemSlug[]];

export const PROBLEM_TYPE_PREFIX = '/problems/';
export function problemTypeUri(slug: ProblemSlug): string {
  return PROBLEM_TYPE_PREFIX + slug;
}

/** One precise complaint about one field. `path` is dotted: `samples.3.lat`. */
export const FieldErrorSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** RFC 9457 problem details, as every REST error is returned. */
export const ProblemDetailsSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(FieldErrorSchema).optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetailsSchema>;

/** How errors cross a socket: data, never a stack trace or driver text. */
export const ErrorBodySchema = z.object({
  type: z.enum(PROBLEM_SLUGS),
  message: z.string(),
  errors: z.array(FieldErrorSchema).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export const ErrorPayloadSchema = z.object({ error: ErrorBodySchema });
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

/** Turns zod issues into field errors with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.'),
    message: issue.message,
  }));
}
