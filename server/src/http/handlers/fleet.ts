import type { Request, Response } from 'express';
import { IdParamSchema, SnapshotQuerySchema } from '@fleetline/protocol';
import type { FleetRepository } from '../../repositories/fleets.js';
import type { AccessPolicy } from '../../services/access.js';
import type { FleetView } from '../../services/fleet-view.js';
import type { HistoryService } from '../../services/history-service.js';
import { parseOrThrow } from '../../services/validation.js';
import { currentUser } from '../authenticate.js';

export function fleetHandlers(deps: {
  access: AccessPolicy;
  fleets: FleetRepository;
  fleetView: FleetView;
  history: HistoryService;
}) {
  const vehicleId = (req: Request) =>
    parseOrThrow(IdParamSchema, req.params.vehicleId, ['params', 'vehicleId']);
  return {
    fleets: async (_req: Request, res: Response) => {
      const ids = await deps.access.visibleFleetIds(currentUser(res));
      res.json({ fleets: await deps.fleets.list(ids) });
    },

    snapshot: async (req: Request, res: Response) => {
      const query = parseOrThrow(SnapshotQuerySchema, req.query, ['query']);
      res.json(await deps.fleetView.snapshot(currentUser(res), query.fleetIds ?? null));
    },

    positions: async (req: Request, res: Response) => {
      res.json(await deps.history.positions(currentUser(res), vehicleId(req), req.query));
    },

    readings: async (req: Request, res: Response) => {
      res.json(await deps.history.readings(currentUser(res), vehicleId(req), req.query));
    },

    trips: async (req: Request, res: Response) => {
      res.json(await deps.history.trips(currentUser(res), vehicleId(req), req.query));
    },

    events: async (req: Request, res: Response) => {
      res.json(await deps.history.eventLog(currentUser(res), req.query));
    },
  };
}
