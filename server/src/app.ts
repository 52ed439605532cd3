import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import { CONSOLE_NAMESPACE, DEVICE_NAMESPACE } from '@fleetline/protocol';
import type { ServerConfig } from './config.js';
import { createCore } from './core.js';
import type { Core, CoreOptions } from './core.js';
import { createHttpApp } from './http/http-app.js';
import { adminHandlers } from './http/handlers/admin.js';
import { authHandlers } from './http/handlers/auth.js';
import { fleetHandlers } from './http/handlers/fleet.js';
import { systemHandlers } from './http/handlers/system.js';
import { routes } from './http/routes.js';
import { WriteBatcher } from './ingest/write-batcher.js';
import { LiveState } from './live/live-state.js';
import { VehicleChangeReader } from './live/vehicle-change-reader.js';
import { VehicleDirectory } from './live/vehicle-directory.js';
import { ConsoleFeed } from './realtime/console-feed.js';
import { ConsoleGateway } from './realtime/console-gateway.js';
import type { ConsoleNamespace } from './realtime/console-gateway.js';
import { DeviceGateway } from './realtime/device-gateway.js';
import type { DeviceNamespace } from './realtime/device-gateway.js';
import { DeviceAuthService } from './services/device-auth-service.js';
import { FleetView } from './services/fleet-view.js';
import { HistoryService } from './services/history-service.js';
import { RetentionRepository } from './repositories/retention.js';
import { startRuntimeStats } from './runtime-stats.js';
import { RetentionSweeper } from './services/retention-sweeper.js';
import type { RetentionReport } from './services/retention-sweeper.js';
import { SERVER_VERSION } from './version.js';

/** socket.io's own frame limit; batches are bounded far below it by sample count. */
const MAX_SOCKET_MESSAGE_BYTES = 4 * 1024 * 1024;
const REVOCATION_SWEEP_MS = 15_000;
const SESSION_SWEEP_MS = 60_000;
const RETENTION_SWEEP_MS = 3_600_000;
/** How often the vehicle change feed is read: the CLI's changes reach consoles within this. */
const VEHICLE_CHANGES_POLL_MS = 5_000;
/** Changes older than this are deleted from the feed (pruned once an hour). */
const VEHICLE_CHANGES_KEPT_MS = 86_400_000;
/** The first retention sweep waits until the server has settled after a start. */
const RETENTION_FIRST_SWEEP_MS = 60_000;

export interface FleetlineServer extends Core {
  live: LiveState;
  feed: ConsoleFeed;
  batcher: WriteBatcher;
  devices: DeviceGateway;
  consoles: ConsoleGateway;
  httpServer: http.Server;
  /** What the periodic revocation sweep does: ends sessions of devices revoked or deleted elsewhere. */
  endDisallowedSessions(): Promise<void>;
  /** What the change-feed poll does: applies vehicle changes made by other processes (the CLI). */
  applyVehicleChanges(): Promise<void>;
  /** What the hourly retention sweep does: deletes history past TELEMETRY_/EVENT_RETENTION_DAYS. */
  sweepRetention(): Promise<RetentionReport>;
  /** Starts listening; resolves with the bound port (useful with PORT=0). */
  listen(): Promise<{ port: number; url: string }>;
  /** Graceful stop: refuse new batches, commit and acknowledge pending ones, then close. */
  close(): Promise<void>;
}

export async function createFleetlineServer(
  config: ServerConfig,
  options: CoreOptions = {},
): Promise<FleetlineServer> {
  const core = await createCore(config, options);
  const { logger, clock, db, repos, access, auth, accounts } = core;
  const startedAt = clock.now();

  const live = new LiveState();
  const directory = new VehicleDirectory(live, repos.vehicles, repos.vehicleStates);
  // Opened first: a change recorded while the directory loads is read again, harmlessly.
  const vehicleChanges = await VehicleChangeReader.open(repos.vehicleChanges, () => clock.now());
  await directory.loadAll();
  // Downtime is not the devices' silence: give every online vehicle a full offline delay from now.
  live.graceAll(startedAt);

  const httpServer = http.createServer();
  const io = new SocketServer(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    // Long-polling requests from the desktop console's origin (WebSockets need no CORS).
    cors: { origin: config.corsOrigins, credentials: false },
  });
  // socket.io types event maps per server, but each namespace here has its own
  // (from protocol/): the two casts below are where they are attached.
  const consoleNamespace = io.of(CONSOLE_NAMESPACE) as unknown as ConsoleNamespace;
  const feed = new ConsoleFeed(live, clock, config.consoleFlushMs, (transports, message) => {
    // One encode for every console in the group.
    consoleNamespace.to(transports.map((t) => t.id)).emit('vehicles', message);
  });
  const batcher = new WriteBatcher(
    { db, ...repos, live, listener: feed, clock, logger },
    {
      flushMs: config.ingestFlushMs,
      maxPendingSamples: config.ingestMaxPendingSamples,
      overspeedMinMs: config.overspeedMinMs,
      offlineAfterMs: config.offlineAfterMs,
      eventRetentionMs: config.retention.eventsMs,
    },
  );
  batcher.noteLatestEventId(await repos.events.latestId());
  const fleetView = new FleetView(access, repos.fleets, directory, live, clock);
  const history = new HistoryService(repos.telemetry, repos.events, access);

  const devices = new DeviceGateway(
    io.of(DEVICE_NAMESPACE) as unknown as DeviceNamespace,
    {
      deviceAuth: new DeviceAuthService(repos.devices, repos.telemetry),
      batcher,
      ensureVehicle: async (vehicleId) => {
        const loaded = await directory.ensure([vehicleId]);
        // Registered by another process (the CLI): consoles that may see it get it added now.
        if (loaded.length > 0) await consoles.refreshScopes();
      },
      clock,
      logger: logger.child({ gateway: 'device' }),
    },
    {
      maxBatchSamples: config.maxBatchSamples,
      maxClockSkewMs: config.maxClockSkewMs,
      retention: config.retention,
    },
  );
  const consoles = new ConsoleGateway(consoleNamespace, {
    auth,
    access,
    fleetView,
    events: repos.events,
    feed,
    logger: logger.child({ gateway: 'console' }),
  });

  // Work started by events rather than requests (refreshes, sweeps): a
  // graceful stop waits for it before the database closes.
  const running = new Set<Promise<unknown>>();
  const background = (task: Promise<unknown>, what: string) => {
    const tracked = task.catch((err: unknown) => logger.error({ err }, `${what} failed`));
    running.add(tracked);
    void tracked.finally(() => running.delete(tracked));
  };

  accounts.setListener({
    vehiclesChanged: (vehicleIds) => {
      background(
        directory.refresh(vehicleIds).then((changed) => {
          feed.vehiclesChanged(changed);
          return consoles.refreshScopes();
        }),
        'refreshing vehicles',
      );
    },
    devicesRevoked: (deviceIds, reason) => devices.endSessions(deviceIds, reason),
  });

  const app = createHttpApp({
    routes: routes({
      system: systemHandlers({
        db,
        version: SERVER_VERSION,
        startedAt,
        map: config.map,
        retention: config.retention,
      }),
      auth: authHandlers({ auth, onLogout: (sessionId) => consoles.endSession(sessionId) }),
      fleet: fleetHandlers({ access, fleets: repos.fleets, fleetView, history }),
      admin: adminHandlers({ accounts }),
    }),
    auth,
    logger,
    consoleDir: config.consoleDir,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    mapOrigins: mapOrigins(config.map),
  });
  httpServer.on('request', app);

  /**
   * Devices revoked by another process (the CLI), or deleted with their
   * vehicle straight in the database, are disconnected here; a deleted
   * vehicle also leaves the live picture and every console's list.
   */
  const endDisallowedSessions = async () => {
    const ended = devices.endSessions(
      await repos.devices.noLongerAllowed(devices.connectedDeviceIds()),
      'revoked',
    );
    if (ended.length === 0) return;
    feed.vehiclesChanged(await directory.refresh(ended));
    await consoles.refreshScopes();
  };

  /**
   * Vehicles registered or changed by another process (the CLI), from the
   * change feed every account operation writes: consoles that may see them
   * are told. Changes this server made itself come back too, and change
   * nothing.
   */
  let readingChanges = false;
  let prunedChangesAt = 0;
  const applyVehicleChanges = async () => {
    if (readingChanges) return;
    readingChanges = true;
    try {
      await vehicleChanges.read(async (vehicleIds) => {
        feed.vehiclesChanged(await directory.refresh(vehicleIds));
        await consoles.refreshScopes();
      });
      const now = clock.now();
      if (now - prunedChangesAt >= VEHICLE_CHANGES_KEPT_MS / 24) {
        prunedChangesAt = now;
        await repos.vehicleChanges.prune(now - VEHICLE_CHANGES_KEPT_MS);
      }
    } finally {
      readingChanges = false;
    }
  };

  const retention = new RetentionSweeper(
    new RetentionRepository(db.knex),
    config.retention,
    logger.child({ component: 'retention' }),
  );
  const sweepRetention = () => retention.sweep(clock.now());

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => Promise<unknown> | void, what: string) => {
    const timer = setInterval(() => background(Promise.resolve().then(task), what), ms);
    timer.unref();
    timers.push(timer);
  };
  const sweeps = () => {
    every(
      Math.min(5000, config.offlineAfterMs / 4),
      () => batcher.requestSweep(),
      'presence sweep',
    );
    every(REVOCATION_SWEEP_MS, endDisallowedSessions, 'revocation sweep');
    every(VEHICLE_CHANGES_POLL_MS, applyVehicleChanges, 'reading vehicle changes');
    every(
      SESSION_SWEEP_MS,
      () => consoles.endInactive((ids) => repos.sessions.activeIds(ids, clock.now())),
      'session sweep',
    );
    if (retention.enabled) {
      const first = setTimeout(
        () => background(sweepRetention(), 'retention sweep'),
        RETENTION_FIRST_SWEEP_MS,
      );
      first.unref();
      timers.push(first);
      every(RETENTION_SWEEP_MS, sweepRetention, 'retention sweep');
    }
  };

  let closing: Promise<void> | undefined;
  let stopStats = () => {};
  return {
    ...core,
    live,
    feed,
    batcher,
    devices,
    consoles,
    httpServer,
    endDisallowedSessions,
    applyVehicleChanges,
    sweepRetention,

    async listen() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      feed.start();
      sweeps();
      stopStats = startRuntimeStats(logger, config.statsIntervalMs, {
        devices: () => devices.connected,
        consoles: () => consoles.connected,
        storedSamples: () => batcher.storedSamples,
        pendingSamples: () => batcher.waitingSamples,
        databaseThreadsReplaced: () => db.threadsReplaced(),
      });
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      logger.info(
        { port, host: config.host, database: db.dialect.name, version: SERVER_VERSION },
        'server listening',
      );
      return { port, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}` };
    },

    close() {
      closing ??= (async () => {
        logger.info('shutting down: flushing pending batches');
        for (const timer of timers) clearInterval(timer);
        retention.stop();
        stopStats();
        devices.stopAccepting();
        await batcher.drain();
        feed.tick();
        feed.stop();
        devices.endAll();
        consoles.disconnectAll();
        await new Promise<void>((resolve) => {
          void io.close(() => resolve());
          httpServer.closeAllConnections();
        });
        await Promise.all(running);
        await db.close();
        logger.info('shut down');
      })();
      return closing;
    },
  };
}

/** Origins the console's pages must reach for their map, for the CSP. */
function mapOrigins(map: ServerConfig['map']): string[] {
  const origins: string[] = [];
  if (map.mapboxToken) origins.push('https://api.mapbox.com', 'https://events.mapbox.com');
  if (map.styleUrl) origins.push(new URL(map.styleUrl).origin);
  return origins;
}
