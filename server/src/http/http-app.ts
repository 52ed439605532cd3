import express from 'express';
import type { Express } from 'express';
import type { TrustProxy } from '../config.js';
import type { Logger } from '../logger.js';
import type { AuthService } from '../services/auth-service.js';
import { guard } from './authenticate.js';
import { consoleSite } from './console-site.js';
import { cors } from './cors.js';
import { errorPipeline, notFound, requireJsonBody } from './problems.js';
import type { Route } from './routes.js';

/** Largest JSON body the API accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface HttpAppOptions {
  routes: Route[];
  auth: AuthService;
  logger: Logger;
  /** The web console's build directory, or null. */
  consoleDir: string | null;
  /** Origins whose pages may call the API (see cors.ts). */
  corsOrigins: readonly string[];
  /** Map provider origins the console's pages may reach (for the CSP). */
  mapOrigins: readonly string[];
  /**
   * Reverse proxies believed about the client (see config.ts). Behind a
   * proxy that terminates TLS this is what marks the session cookie Secure.
   */
  trustProxy?: TrustProxy;
}

export function createHttpApp(deps: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const level = req.path === '/healthz' ? 'debug' : 'info';
      deps.logger[level](
        {
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ip: req.ip,
          ms: Math.round(performance.now() - started),
        },
        'http request',
      );
    });
    next();
  });
  app.use('/api', cors(deps.corsOrigins));
  app.use(requireJsonBody);
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));

  for (const route of deps.routes) {
    app[route.method](route.path, guard(route.access, deps.auth), async (req, res) => {
      await route.handler(req, res);
    });
  }

  // The web console (static files, public: its login page is the way in).
  app.use(consoleSite(deps.consoleDir, deps.mapOrigins));

  app.use(notFound);
  app.use(errorPipeline(deps.logger));
  return app;
}
