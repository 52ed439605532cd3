import type { Request, Response } from 'express';
import { PROBLEMS, problemTypeUri } from '@fleetline/protocol';
import type { ConsoleConfig, Health } from '@fleetline/protocol';
import { AppError } from '../../domain/errors.js';
import type { RetentionConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import { isProblemSlug } from '../problems.js';

const HEALTH_TIMEOUT_MS = 2000;

export function systemHandlers(deps: {
  db: Database;
  version: string;
  startedAt: number;
  map: ConsoleConfig['map'];
  retention: RetentionConfig;
}) {
  const days = (ms: number | null) => (ms === null ? null : Math.round(ms / 86_400_000));
  const retention = {
    telemetryDays: days(deps.retention.telemetryMs),
    eventDays: days(deps.retention.eventsMs),
  };
  return {
    /** 200 when the database answers, 503 otherwise; the body says which. */
    health: async (_req: Request, res: Response) => {
      let database: Health['database'] = 'ok';
      try {
        await Promise.race([
          deps.db.ping(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('timeout')), HEALTH_TIMEOUT_MS).unref(),
          ),
        ]);
      } catch {
        database = 'unreachable';
      }
      const body: Health = {
        status: database === 'ok' ? 'ok' : 'degraded',
        database,
        databaseThreadsReplaced: deps.db.threadsReplaced(),
        uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
        version: deps.version,
      };
      res.status(database === 'ok' ? 200 : 503).json(body);
    },

    /** What a console needs before anyone logs in. */
    config: (_req: Request, res: Response) => {
      const body: ConsoleConfig = { map: deps.map, retention, version: deps.version };
      res.json(body);
    },

    /** Each problem `type` URI resolves to its description. */
    problem: (req: Request, res: Response) => {
      const slug = String(req.params.slug);
      if (!isProblemSlug(slug)) throw new AppError('not-found', `no problem type ${slug}`);
      res.json({ type: problemTypeUri(slug), slug, ...PROBLEMS[slug] });
    },
  };
}
