import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { PROBLEMS, problemTypeUri } from '@fleetline/protocol';
import type { ProblemDetails, ProblemSlug } from '@fleetline/protocol';
import { isUnavailableError } from '../db/dialect.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** The Retry-After given when the database is unavailable. */
const UNAVAILABLE_RETRY_MS = 5000;

export function sendProblem(res: Response, error: AppError, instance?: string): void {
  const problem: ProblemDetails = {
    type: problemTypeUri(error.slug),
    title: PROBLEMS[error.slug].title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
  };
  if (error.retryAfterMs !== undefined)
    res.setHeader('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
  res.status(error.status).type('application/problem+json').send(JSON.stringify(problem));
}

/**
 * Errors Express's own parts raise about a request. body-parser's are
 * http-errors: a known `type` maps to its problem. Others it passes on
 * without a type, the zlib error of a corrupt gzip, deflate or br body
 * among them, as a 4xx with `expose: true`: the client's fault, so a 4xx
 * here too, not a 500.
 */
function fromExpress(err: unknown): AppError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  // The router decodes path parameters: %E0 or %zz is the client's mistake.
  if (err instanceof URIError)
    return new AppError('validation-failed', 'the request path is not valid percent-encoding');
  switch ('type' in err ? err.type : undefined) {
    case 'entity.parse.failed':
      return new AppError('malformed-json', 'the body is not valid JSON');
    case 'entity.too.large':
      return new AppError('payload-too-large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported-media-type', 'the body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('validation-failed', 'the body was cut short');
  }
  const status = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  const exposed = 'expose' in err && err.expose === true;
  if (exposed && typeof status === 'number' && status >= 400 && status < 500)
    return new AppError(
      'malformed-body',
      'the body could not be read (is its content encoding corrupt?)',
    );
  return undefined;
}

/**
 * The single error pipeline. Known errors become problem details under their
 * stable type; anything else is logged and reported as a bare 500, so no
 * stack trace or database text ever reaches a client.
 */
export function errorPipeline(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = err instanceof AppError ? err : fromExpress(err);
    if (known) {
      sendProblem(res, known, req.originalUrl);
      return;
    }
    if (isUnavailableError(err)) {
      // Not the request's fault, nor a bug: the same request may work shortly.
      logger.warn({ err, method: req.method, url: req.originalUrl }, 'database unavailable');
      sendProblem(
        res,
        new AppError(
          'unavailable',
          'the database is not answering; retry shortly',
          undefined,
          UNAVAILABLE_RETRY_MS,
        ),
        req.originalUrl,
      );
      return;
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error in request');
    sendProblem(res, new AppError('internal'), req.originalUrl);
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not-found', `no route for ${req.method} ${req.path}`));
};

/** Bodies are JSON or nothing: anything else is refused before it reaches a handler. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 ||
    req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new AppError('unsupported-media-type'));
    return;
  }
  next();
};

export function isProblemSlug(value: string): value is ProblemSlug {
  return Object.hasOwn(PROBLEMS, value);
}
