import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NewFleetEvent } from '@fleetline/protocol';
import { createCore, createFleetlineServer } from '@fleetline/server';
import type { FleetlineServer, ServerConfig } from '@fleetline/server';

export const PASSWORD = 'correct horse battery staple';

export interface TestServer {
  server: FleetlineServer;
  url: string;
  port: number;
  config: ServerConfig;
  close(): Promise<void>;
}

/** A server configuration for tests: SQLite in a temp dir, port 0, the console's web build. */
export function testServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-console-test-'));
  return {
    port: 0,
    host: '127.0.0.1',
    database: {
      kind: 'sqlite',
      filename: path.join(dir, 'fleetline.sqlite'),
      synchronous: 'NORMAL',
    },
    dataDir: dir,
    logLevel: 'silent',
    offlineAfterMs: 120_000,
    overspeedMinMs: 0,
    ingestFlushMs: 5,
    ingestMaxPendingSamples: 200_000,
    maxBatchSamples: 1000,
    maxClockSkewMs: 300_000,
    retention: { telemetryMs: null, eventsMs: null },
    consoleFlushMs: 50,
    sessionTtlMs: 3600_000,
    passwordHashCost: 12,
    statsIntervalMs: 0,
    consoleDir: null,
    corsOrigins: ['fleetline://app'],
    trustProxy: false,
    map: { mapboxToken: null, styleUrl: null },
    ...overrides,
  };
}

export async function startTestServer(config: ServerConfig): Promise<TestServer> {
  const server = await createFleetlineServer(config);
  const { url, port } = await server.listen();
  return { server, url, port, config, close: () => server.close() };
}

export interface SeededFleet {
  fleetId: number;
  dispatcher: string;
  vehicles: { id: number; name: string; token: string; driver: string }[];
  /** Drivers by name (users with the driver role), to assign in tests. */
  drivers: Map<string, number>;
}

const DRIVER_NAMES = [
  'Jörg Müller',
  'Ana Souza',
  'Piotr Nowak',
  'Chloé Martin',
  'Sam Okafor',
  'Lena Fischer',
  'Marco Rossi',
  'Aiko Tanaka',
];

/** One fleet, a dispatcher, and `count` vehicles with their device tokens. */
export async function seedFleet(
  server: FleetlineServer,
  count: number,
  limitKmh = 45,
): Promise<SeededFleet> {
  const { accounts } = server;
  const fleet = await accounts.createFleet({ name: 'City', overspeedLimitKmh: limitKmh });
  const dispatcher = 'dispatcher@example.test';
  await accounts.createUser({
    email: dispatcher,
    name: 'Dana Dispatcher',
    password: PASSWORD,
    role: 'dispatcher',
    fleetIds: [fleet.id],
  });
  const drivers = new Map<string, number>();
  for (const [i, name] of DRIVER_NAMES.entries()) {
    const user = await accounts.createUser({
      email: `driver${i}@example.test`,
      name,
      password: PASSWORD,
      role: 'driver',
      fleetIds: [fleet.id],
    });
    drivers.set(name, user.id);
  }
  const vehicles = [];
  for (let i = 1; i <= count; i++) {
    const name = `Van ${String(i).padStart(2, '0')}`;
    const driver = DRIVER_NAMES[(i - 1) % DRIVER_NAMES.length] as string;
    const r = await accounts.registerVehicle({
      name,
      plate: `B-FL ${100 + i}`,
      vin: `WVWZZZ1JZ3W38${String(6000 + i).padStart(4, '0')}`,
      fleetIds: [fleet.id],
      driverUserId: drivers.get(driver),
    });
    vehicles.push({ id: r.vehicle.id, name, token: r.device.token, driver });
  }
  return { fleetId: fleet.id, dispatcher, vehicles, drivers };
}

/**
 * Writes events into the database of a server that is down, as if they had
 * happened while consoles were away: the cheap way to have a console miss
 * more than a replay carries (docs/PROTOCOL.md, `truncated`), where driving
 * a vehicle into that many would take minutes. Returns their ids, oldest first.
 */
export async function recordEventsWhileDown(
  config: ServerConfig,
  events: readonly NewFleetEvent[],
): Promise<number[]> {
  const core = await createCore(config);
  try {
    const { knex } = core.db;
    const before = await knex('events').max({ id: 'id' }).first();
    const after = Number(before?.id ?? 0);
    const recordedAt = Date.now();
    const rows = events.map((e) => ({
      vehicle_id: e.vehicleId,
      type: e.type,
      t: e.t,
      recorded_at: recordedAt,
      late: e.late,
      data: JSON.stringify(e.data),
    }));
    for (let i = 0; i < rows.length; i += 200) await knex('events').insert(rows.slice(i, i + 200));
    const ids = await knex('events').where('id', '>', after).orderBy('id').pluck('id');
    return ids.map(Number);
  } finally {
    await core.db.close();
  }
}
