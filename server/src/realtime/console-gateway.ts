import { parse as parseCookie } from 'cookie';
import type { Namespace, Socket } from 'socket.io';
import {
  ConsoleAuthSchema,
  ConsoleSubscriptionSchema,
  SESSION_COOKIE,
  fieldErrors,
} from '@fleetline/protocol';
import type {
  ConsoleAuth,
  ConsoleToServerEvents,
  ServerToConsoleEvents,
  SubscribeReply,
} from '@fleetline/protocol';
import { AppError, toErrorBody } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { EventRepository } from '../repositories/events.js';
import type { AccessPolicy, AuthenticatedUser } from '../services/access.js';
import type { FleetView } from '../services/fleet-view.js';
import { assertConsoleUser } from '../services/access.js';
import type { AuthService } from '../services/auth-service.js';
import type { ConsoleFeed, FeedScope, FeedSubscriber, FeedTransport } from './console-feed.js';
import { connectError } from './device-gateway.js';

interface ConsoleSocketData {
  user: AuthenticatedUser;
  auth: ConsoleAuth;
  /** The fleets this console narrowed to, or null for all it may see. */
  fleetFilter: number[] | null;
  subscriber?: FeedSubscriber;
}

export type ConsoleNamespace = Namespace<
  ConsoleToServerEvents,
  ServerToConsoleEvents,
  Record<string, never>,
  ConsoleSocketData
>;
type ConsoleSocket = Socket<
  ConsoleToServerEvents,
  ServerToConsoleEvents,
  Record<string, never>,
  ConsoleSocketData
>;

/** Events replayed to a reconnecting console, at most. */
const MAX_REPLAYED_EVENTS = 1000;

/**
 * The console feed over socket.io: authenticates a user (token in the
 * handshake, or the session cookie), works out what they may see, and hands
 * the socket to the feed.
 */
export class ConsoleGateway {
  private readonly sockets = new Set<ConsoleSocket>();

  constructor(
    private readonly namespace: ConsoleNamespace,
    private readonly deps: {
      auth: AuthService;
      access: AccessPolicy;
      fleetView: FleetView;
      events: EventRepository;
      feed: ConsoleFeed;
      logger: Logger;
    },
  ) {
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(connectError(err)),
      );
    });
    namespace.on('connection', (socket) => {
      this.onConnection(socket).catch((err: unknown) => {
        deps.logger.error({ err, userId: socket.data.user.id }, 'console connection setup failed');
        socket.disconnect(true);
      });
    });
  }

  get connected(): number {
    return this.sockets.size;
  }

  /** Closes the consoles of a session that ended (logout). */
  endSession(sessionId: number): void {
    for (const socket of this.sockets)
      if (socket.data.user.sessionId === sessionId) socket.disconnect(true);
  }

  /** Closes consoles whose session expired or was ended elsewhere while they were connected. */
  async endInactive(activeIds: (sessionIds: number[]) => Promise<Set<number>>): Promise<void> {
    const sockets = [...this.sockets];
    const active = await activeIds([...new Set(sockets.map((s) => s.data.user.sessionId))]);
    for (const socket of sockets)
      if (!active.has(socket.data.user.sessionId)) socket.disconnect(true);
  }

  /** Recomputes what every console may see, after vehicles or fleets changed. */
  async refreshScopes(): Promise<void> {
    this.deps.fleetView.invalidate();
    for (const socket of this.sockets) {
      const subscriber = socket.data.subscriber;
      if (!subscriber) continue;
      const scope = await this.scopeFor(
        socket.data.user,
        socket.data.fleetFilter,
        subscriber.scope.viewport,
      );
      this.deps.feed.rescope(subscriber, scope.vehicleIds, scope.fleets);
    }
  }

  disconnectAll(): void {
    for (const socket of this.sockets) socket.disconnect(true);
  }

  private async authenticate(socket: ConsoleSocket): Promise<void> {
    const parsed = ConsoleAuthSchema.safeParse(socket.handshake.auth ?? {});
    if (!parsed.success)
      throw new AppError(
        'validation-failed',
        'invalid handshake',
        fieldErrors(parsed.error, ['auth']),
      );
    const auth = parsed.data;
    const cookieHeader = socket.handshake.headers.cookie;
    const token =
      auth.token ?? (cookieHeader ? parseCookie(cookieHeader)[SESSION_COOKIE] : undefined);
    const user = await this.deps.auth.authenticate(token);
    assertConsoleUser(user);
    const fleetFilter = auth.fleetIds
      ? await this.deps.access.narrowFleets(user, auth.fleetIds)
      : null;
    socket.data.user = user;
    socket.data.auth = auth;
    socket.data.fleetFilter = fleetFilter;
  }

  private async onConnection(socket: ConsoleSocket): Promise<void> {
    const { user, auth } = socket.data;
    const log = this.deps.logger.child({ userId: user.id, socketId: socket.id });
    this.sockets.add(socket);
    socket.on('disconnect', (reason) => {
      this.sockets.delete(socket);
      if (socket.data.subscriber) this.deps.feed.remove(socket.data.subscriber);
      log.info({ reason }, 'console disconnected');
    });

    const scope = await this.scopeFor(user, socket.data.fleetFilter, null);
    if (!socket.connected) return;
    socket.data.subscriber = this.deps.feed.add(transportFor(socket), scope, auth.resume);
    log.info(
      { vehicles: scope.vehicleIds.size, resumed: auth.resume !== undefined },
      'console connected',
    );

    if (auth.lastEventId !== undefined) {
      // The newest are the ones that matter (an alarm still open); when more
      // were missed than a replay carries, the console is told that older
      // ones were left out (they are in GET /api/events).
      const newest = await this.deps.events.find({
        visibility: { all: false, fleetIds: scope.fleets.map((f) => f.id) },
        after: auth.lastEventId,
        newestFirst: true,
        limit: MAX_REPLAYED_EVENTS + 1,
      });
      const truncated = newest.length > MAX_REPLAYED_EVENTS;
      const missed = newest.slice(0, MAX_REPLAYED_EVENTS).reverse();
      if (missed.length > 0)
        socket.emit('events', {
          events: missed,
          replay: true,
          ...(truncated ? { truncated } : {}),
        });
    }

    socket.on('subscribe', (payload: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: SubscribeReply) => void) : () => {};
      this.subscribe(socket, payload).then(
        (vehicles) => reply({ ok: true, vehicles }),
        (err: unknown) => reply({ error: toErrorBody(err) }),
      );
    });
  }

  private async subscribe(socket: ConsoleSocket, payload: unknown): Promise<number> {
    const parsed = ConsoleSubscriptionSchema.safeParse(payload);
    if (!parsed.success)
      throw new AppError('validation-failed', 'invalid subscription', fieldErrors(parsed.error));
    const { user, subscriber } = socket.data;
    if (!subscriber) throw new AppError('unavailable', 'the console is still connecting');
    const request = parsed.data;
    const fleetFilter =
      request.fleetIds === undefined
        ? socket.data.fleetFilter
        : request.fleetIds === null
          ? null
          : await this.deps.access.narrowFleets(user, request.fleetIds);
    const viewport = request.viewport === undefined ? subscriber.scope.viewport : request.viewport;
    const scope = await this.scopeFor(user, fleetFilter, viewport);
    socket.data.fleetFilter = fleetFilter;
    return this.deps.feed.resubscribe(subscriber, scope);
  }

  private async scopeFor(
    user: AuthenticatedUser,
    fleetFilter: number[] | null,
    viewport: FeedScope['viewport'],
  ): Promise<FeedScope> {
    const { vehicleIds, fleets } = await this.deps.fleetView.scope(user, fleetFilter);
    return { vehicleIds, fleets, viewport };
  }
}

function transportFor(socket: ConsoleSocket): FeedTransport {
  return {
    id: socket.id,
    snapshot: (message) => socket.emit('snapshot', message),
    vehicles: (message) => socket.emit('vehicles', message),
    events: (message) => socket.emit('events', message),
    congested: () =>
      ((socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0) > 0,
  };
}
