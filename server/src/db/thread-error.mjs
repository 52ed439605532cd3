// How a database thread reports a failed request. Posting an Error to the
// main thread keeps its message and drops its own properties, so the thread
// sends plain data instead: the driver's `code`, which tells a refused row
// from an unavailable database, and the fields in which PostgreSQL says what
// was refused (which key, which constraint, which table).
//
// Plain JavaScript, like the workers that import it.

/** The fields of pg's DatabaseError carried across, when they are strings. */
export const THREAD_ERROR_FIELDS = /** @type {const} */ ([
  'detail',
  'hint',
  'where',
  'schema',
  'table',
  'column',
  'constraint',
]);

/**
 * @param {unknown} err what the request threw
 * @returns {import('./worker-rpc.js').ThreadError}
 */
export function threadError(err) {
  if (!(err instanceof Error)) return { message: String(err), code: undefined };
  const fields = /** @type {Error & Record<string, unknown>} */ (err);
  /** @type {import('./worker-rpc.js').ThreadError} */
  const error = {
    message: err.message,
    code: typeof fields.code === 'string' ? fields.code : undefined,
  };
  for (const field of THREAD_ERROR_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') error[field] = value;
  }
  return error;
}
