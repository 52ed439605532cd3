import type { Request, Response } from 'express';
import { API_BASE } from '@fleetline/protocol';
import type { Access } from './authenticate.js';
import type { adminHandlers } from './handlers/admin.js';
import type { authHandlers } from './handlers/auth.js';
import type { fleetHandlers } from './handlers/fleet.js';
import type { systemHandlers } from './handlers/system.js';

export interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  access: Access;
  handler: (req: Request, res: Response) => unknown;
}

const CONSOLE = ['admin', 'dispatcher', 'fleet_manager'] as const;
const ADMIN = ['admin'] as const;

/** Every HTTP route: path, who may call it, handler. Documented in docs/API.md. */
export function routes(h: {
  system: ReturnType<typeof systemHandlers>;
  auth: ReturnType<typeof authHandlers>;
  fleet: ReturnType<typeof fleetHandlers>;
  admin: ReturnType<typeof adminHandlers>;
}): Route[] {
  const api = API_BASE;
  return [
    { method: 'get', path: '/healthz', access: 'public', handler: h.system.health },
    { method: 'get', path: '/problems/:slug', access: 'public', handler: h.system.problem },
    { method: 'get', path: `${api}/config`, access: 'public', handler: h.system.config },

    { method: 'post', path: `${api}/auth/login`, access: 'public', handler: h.auth.login },
    { method: 'post', path: `${api}/auth/logout`, access: 'authenticated', handler: h.auth.logout },
    { method: 'get', path: `${api}/auth/me`, access: 'authenticated', handler: h.auth.me },

    { method: 'get', path: `${api}/fleets`, access: CONSOLE, handler: h.fleet.fleets },
    { method: 'get', path: `${api}/fleet/snapshot`, access: CONSOLE, handler: h.fleet.snapshot },
    {
      method: 'get',
      path: `${api}/vehicles/:vehicleId/positions`,
      access: CONSOLE,
      handler: h.fleet.positions,
    },
    {
      method: 'get',
      path: `${api}/vehicles/:vehicleId/readings`,
      access: CONSOLE,
      handler: h.fleet.readings,
    },
    {
      method: 'get',
      path: `${api}/vehicles/:vehicleId/trips`,
      access: CONSOLE,
      handler: h.fleet.trips,
    },
    { method: 'get', path: `${api}/events`, access: CONSOLE, handler: h.fleet.events },

    { method: 'post', path: `${api}/admin/fleets`, access: ADMIN, handler: h.admin.createFleet },
    { method: 'post', path: `${api}/admin/users`, access: ADMIN, handler: h.admin.createUser },
    {
      method: 'post',
      path: `${api}/admin/vehicles`,
      access: ADMIN,
      handler: h.admin.registerVehicle,
    },
    {
      method: 'post',
      path: `${api}/admin/vehicles/:vehicleId/device`,
      access: ADMIN,
      handler: h.admin.replaceDevice,
    },
    {
      method: 'put',
      path: `${api}/admin/vehicles/:vehicleId/driver`,
      access: ADMIN,
      handler: h.admin.assignDriver,
    },
    {
      method: 'post',
      path: `${api}/admin/devices/:deviceId/revoke`,
      access: ADMIN,
      handler: h.admin.revokeDevice,
    },
  ];
}
