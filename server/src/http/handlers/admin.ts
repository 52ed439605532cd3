import type { Request, Response } from 'express';
import { IdParamSchema } from '@fleetline/protocol';
import type { AccountService } from '../../services/account-service.js';
import { parseOrThrow } from '../../services/validation.js';

export function adminHandlers(deps: { accounts: AccountService }) {
  const id = (req: Request, name: string) =>
    parseOrThrow(IdParamSchema, req.params[name], ['params', name]);
  return {
    createFleet: async (req: Request, res: Response) => {
      res.status(201).json(await deps.accounts.createFleet(req.body));
    },

    createUser: async (req: Request, res: Response) => {
      res.status(201).json(await deps.accounts.createUser(req.body));
    },

    registerVehicle: async (req: Request, res: Response) => {
      res.status(201).json(await deps.accounts.registerVehicle(req.body));
    },

    replaceDevice: async (req: Request, res: Response) => {
      res.status(201).json(await deps.accounts.replaceDevice(id(req, 'vehicleId')));
    },

    assignDriver: async (req: Request, res: Response) => {
      res.json({ driver: await deps.accounts.assignDriver(id(req, 'vehicleId'), req.body) });
    },

    revokeDevice: async (req: Request, res: Response) => {
      await deps.accounts.revokeDevice(id(req, 'deviceId'));
      res.status(204).end();
    },
  };
}
