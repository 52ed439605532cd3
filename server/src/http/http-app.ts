import express from 'express';
import type { Express } from 'express';
import type { Logger } from '../logger.js';
import type { AuthService } from '../services/auth-service.js';
import { guard } from './authenticate.js';
import { errorPipeline, notFound, requireJsonBody } from './problems.js';
import type { Route } from './routes.js';

/** Largest JSON body the API accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

export function createHttpApp(deps: {
  routes: Route[];
  auth: AuthService;
  logger: Logger;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const level = req.path === '/healthz' ? 'debug' : 'info';
      deps.logger[level](
        {
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'http request',
      );
    });
    next();
  });
  app.use(requireJsonBody);
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));

  for (const route of deps.routes) {
    app[route.method](route.path, guard(route.access, deps.auth), async (req, res) => {
      await route.handler(req, res);
    });
  }

  app.use(notFound);
  app.use(errorPipeline(deps.logger));
  return app;
}
