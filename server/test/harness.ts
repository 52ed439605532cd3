import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import {
  BatchReplySchema,
  CONSOLE_NAMESPACE,
  DEVICE_NAMESPACE,
  DeviceHelloSchema,
  FleetEventsMessageSchema,
  FleetSnapshotMessageSchema,
  VehicleUpdatesMessageSchema,
} from '@fleetline/protocol';
import type {
  BatchReply,
  ConsoleAuth,
  ConsoleToServerEvents,
  DeviceHello,
  DeviceToServerEvents,
  ErrorBody,
  FleetEventsMessage,
  FleetSnapshotMessage,
  ServerToConsoleEvents,
  ServerToDeviceEvents,
  TelemetrySampleInput,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';
import { createFleetlineServer } from '../src/app.js';
import type { FleetlineServer } from '../src/app.js';
import type { DatabaseConfig, ServerConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';

/**
 * Test harness: real databases, the real server on an ephemeral port, real
 * socket.io clients. SQLite always; PostgreSQL when TEST_DATABASE_URL is set,
 * and then a database that cannot be reached fails the suite, never skips it.
 */

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database (a new SQLite file, or a new PostgreSQL schema). */
  create(): Promise<TestDatabase>;
}

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [
    {
      name: 'sqlite',
      create() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-test-'));
        return Promise.resolve({
          config: {
            kind: 'sqlite',
            filename: path.join(dir, 'fleetline.sqlite'),
            synchronous: 'NORMAL',
          },
          drop: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
        });
      },
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    targets.push({
      name: 'postgres',
      create() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        return Promise.resolve({
          config: { kind: 'postgres', url, schema },
          async drop() {
            const knex = knexFactory({ client: 'pg', connection: url });
            try {
              await knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
            } finally {
              await knex.destroy();
            }
          },
        });
      },
    });
  }
  return targets;
}

export function testConfig(
  database: DatabaseConfig,
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    database,
    dataDir: os.tmpdir(),
    logLevel: 'silent',
    offlineAfterMs: 120_000,
    overspeedMinMs: 0,
    ingestFlushMs: 5,
    ingestMaxPendingSamples: 200_000,
    maxBatchSamples: 1000,
    maxClockSkewMs: 300_000,
    retention: { telemetryMs: null, eventsMs: null },
    consoleFlushMs: 20,
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

export interface RunningServer {
  server: FleetlineServer;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const server = await createFleetlineServer(config, {
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  const { url } = await server.listen();
  return { server, url, close: () => server.close() };
}

export const PASSWORD = 'correct horse battery staple';

/** A started server on a fresh database, seeded (one vehicle per fleet), with sessions for three roles. */
export interface SeededServer {
  running: RunningServer;
  seed: Seed;
  /** Session tokens: the admin, the dispatcher of fleet A, the driver. */
  admin: string;
  north: string;
  driver: string;
  close(): Promise<void>;
}

export async function startSeededServer(target: DatabaseTarget): Promise<SeededServer> {
  const db = await target.create();
  const running = await startServer(testConfig(db.config));
  const seeded = await seed(running.server, 1);
  return {
    running,
    seed: seeded,
    admin: await login(running.url, seeded.admin),
    north: await login(running.url, seeded.dispatcherA),
    driver: await login(running.url, seeded.driver),
    async close() {
      await running.close();
      await db.drop();
    },
  };
}

export interface Seed {
  fleetA: number;
  fleetB: number;
  admin: string;
  dispatcherA: string;
  dispatcherB: string;
  driver: string;
  /** Vehicles of fleet A with their device tokens. */
  vehiclesA: { id: number; deviceId: number; token: string }[];
  vehiclesB: { id: number; deviceId: number; token: string }[];
}

/** Two fleets, one dispatcher each, an admin, a driver, and `perFleet` vehicles in each fleet. */
export async function seed(server: FleetlineServer, perFleet = 2, limitKmh = 90): Promise<Seed> {
  const { accounts } = server;
  const fleetA = (await accounts.createFleet({ name: 'North', overspeedLimitKmh: limitKmh })).id;
  const fleetB = (await accounts.createFleet({ name: 'South', overspeedLimitKmh: limitKmh })).id;
  const user = async (
    email: string,
    role: 'admin' | 'dispatcher' | 'driver',
    fleetIds: number[],
  ) => {
    await accounts.createUser({
      email,
      name: email.split('@')[0]!,
      password: PASSWORD,
      role,
      fleetIds,
    });
    return email;
  };
  const vehicles = async (fleetId: number, prefix: string) => {
    const list = [];
    for (let i = 1; i <= perFleet; i++) {
      const r = await accounts.registerVehicle({
        name: `${prefix}-${i}`,
        plate: `${prefix}${i}`,
        fleetIds: [fleetId],
      });
      list.push({ id: r.vehicle.id, deviceId: r.device.id, token: r.device.token });
    }
    return list;
  };
  return {
    fleetA,
    fleetB,
    admin: await user('admin@example.test', 'admin', []),
    dispatcherA: await user('north@example.test', 'dispatcher', [fleetA]),
    dispatcherB: await user('south@example.test', 'dispatcher', [fleetB]),
    driver: await user('driver@example.test', 'driver', [fleetA]),
    vehiclesA: await vehicles(fleetA, 'N'),
    vehiclesB: await vehicles(fleetB, 'S'),
  };
}

export async function login(url: string, email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function api(
  url: string,
  pathname: string,
  options: {
    token?: string;
    method?: string;
    body?: unknown;
    rawBody?: string;
    contentType?: string;
  } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${url}${pathname}`, {
    method: options.method ?? (body ? 'POST' : 'GET'),
    headers,
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export type DeviceClient = Socket<ServerToDeviceEvents, DeviceToServerEvents>;
export type ConsoleClient = Socket<ServerToConsoleEvents, ConsoleToServerEvents>;

const sockets = new Set<Socket>();

/** Closes every client socket a test opened. */
export function closeClients(): void {
  for (const socket of sockets) socket.close();
  sockets.clear();
}

/** Connects a device; resolves with its hello, rejects with the server's error body. */
export function connectDevice(
  url: string,
  token: string,
  extra: { outboxId?: unknown } = {},
): Promise<{ socket: DeviceClient; hello: DeviceHello }> {
  const socket: DeviceClient = io(`${url}${DEVICE_NAMESPACE}`, {
    auth: { token, ...extra },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('hello', (hello) => resolve({ socket, hello: DeviceHelloSchema.parse(hello) }));
    socket.once('connect_error', (err: Error & { data?: { error?: ErrorBody } }) => {
      socket.close();
      reject(Object.assign(new Error(err.message), { body: err.data?.error }));
    });
  });
}

export async function sendBatch(socket: DeviceClient, samples: unknown): Promise<BatchReply> {
  const reply: unknown = await socket
    .timeout(10_000)
    .emitWithAck('telemetry', { samples } as { samples: TelemetrySampleInput[] });
  return BatchReplySchema.parse(reply);
}

export interface ConsoleRecorder {
  socket: ConsoleClient;
  snapshots: FleetSnapshotMessage[];
  updates: VehicleUpdatesMessage[];
  events: FleetEventsMessage['events'];
  /** Events that came in `replay: true` messages. */
  replayed: FleetEventsMessage['events'];
  /** Whether a replay said older missed events were left out. */
  replayTruncated: boolean;
}

/** Connects a console and records everything it receives; resolves after the first snapshot. */
export function connectConsole(
  url: string,
  auth: ConsoleAuth & Record<string, unknown>,
): Promise<ConsoleRecorder> {
  const socket: ConsoleClient = io(`${url}${CONSOLE_NAMESPACE}`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.add(socket);
  const recorder: ConsoleRecorder = {
    socket,
    snapshots: [],
    updates: [],
    events: [],
    replayed: [],
    replayTruncated: false,
  };
  // Every message is checked against the protocol's schema: the server may not drift from it.
  socket.on('vehicles', (m) => recorder.updates.push(VehicleUpdatesMessageSchema.parse(m)));
  socket.on('events', (m) => {
    const message = FleetEventsMessageSchema.parse(m);
    recorder.events.push(...message.events);
    if (message.replay) recorder.replayed.push(...message.events);
    if (message.truncated) recorder.replayTruncated = true;
  });
  return new Promise((resolve, reject) => {
    socket.on('snapshot', (m) => {
      recorder.snapshots.push(FleetSnapshotMessageSchema.parse(m));
      if (recorder.snapshots.length === 1) resolve(recorder);
    });
    socket.once('connect_error', (err: Error & { data?: { error?: ErrorBody } }) => {
      socket.close();
      reject(Object.assign(new Error(err.message), { body: err.data?.error }));
    });
  });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
}

let seqCounter = 0;
/** A position sample now (or at `t`), with a fresh sequence number unless given. */
export function position(
  overrides: Partial<Extract<TelemetrySampleInput, { kind: 'position' }>> = {},
): TelemetrySampleInput {
  return {
    kind: 'position',
    seq: overrides.seq ?? ++seqCounter,
    t: overrides.t ?? Date.now(),
    lat: 59.33,
    lon: 18.06,
    speedKmh: 40,
    headingDeg: 90,
    altitudeM: 20,
    hdop: 0.9,
    satellites: 9,
    fixQuality: 'gps',
    ...overrides,
  };
}
