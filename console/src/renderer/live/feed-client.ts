import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import {
  CONSOLE_NAMESPACE,
  ErrorBodySchema,
  FleetEventsMessageSchema,
  FleetSnapshotMessageSchema,
  SubscribeReplySchema,
  VehicleUpdatesMessageSchema,
} from '@fleetline/protocol';
import type {
  ConsoleAuth,
  ConsoleToServerEvents,
  FeedCursor,
  FleetEvent,
  FleetSnapshotMessage,
  ServerToConsoleEvents,
  SubscribeReply,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';
import type { z } from 'zod';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface FeedHandlers {
  snapshot(message: FleetSnapshotMessage, info: { resync: boolean }): void;
  vehicles(message: VehicleUpdatesMessage): void;
  /**
   * `replay`: events the server re-sent after a reconnect (history, not news).
   * `truncated`: a replay of only the newest missed events; older ones were left out.
   */
  events(events: FleetEvent[], info: { replay: boolean; truncated: boolean }): void;
  status(status: FeedStatus, detail: { attempt?: number; error?: string | null }): void;
  /** A message that does not match the protocol was refused (and ignored). */
  rejected(reason: string): void;
  /**
   * The server refused the fleets asked for (the user lost access to one):
   * the next attempt asks for every fleet the user may see.
   */
  fleetsRefused(): void;
}

export interface FeedClientOptions {
  /** The server's URL; '' for the page's own origin (web console). */
  serverUrl: string;
  token: () => string | null;
  /** Where the console is in the feed: sent on every (re)connect. */
  cursor: () => FeedCursor | null;
  lastEventId: () => number | null;
  fleetIds: () => number[] | null;
  handlers: FeedHandlers;
  /** Socket factory (tests and the benchmark may point it elsewhere). */
  connect?: (url: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
}

type ConsoleSocket = Socket<ServerToConsoleEvents, ConsoleToServerEvents>;

/** Refusals after which retrying cannot help: the session is gone or may not use the console. */
const FINAL_REFUSALS = new Set(['unauthenticated', 'forbidden']);

/**
 * The console's side of the /console feed: connects with the session,
 * resumes from the last cursor and event id on every reconnect (see
 * docs/PROTOCOL.md, "Resuming"), validates every message against the
 * protocol's schemas, and reports its status. It renders nothing and owns
 * no state: the socket controller wires it to the update buffer and stores.
 */
export class FeedClient {
  #socket: ConsoleSocket | null = null;
  #connectedOnce = false;
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: FeedClientOptions) {}

  start(): void {
    if (this.#socket) return;
    this.#stopped = false;
    const { serverUrl } = this.options;
    const connect = this.options.connect ?? ((url, opts) => io(url, opts));
    const socket = connect(`${serverUrl}${CONSOLE_NAMESPACE}`, {
      transports: ['websocket'],
      // Evaluated on every attempt: a reconnect resumes from where the console is now.
      auth: (cb: (auth: ConsoleAuth) => void) => cb(this.#auth()),
      reconnection: true,
      reconnectionDelay: this.options.reconnectDelayMs ?? 1000,
      reconnectionDelayMax: this.options.reconnectDelayMaxMs ?? 10_000,
      randomizationFactor: 0.5,
      timeout: 10_000,
    }) as ConsoleSocket;
    this.#socket = socket;
    this.options.handlers.status('connecting', { attempt: 0 });

    socket.on('snapshot', (raw) => {
      const message = this.#parse('snapshot', FleetSnapshotMessageSchema, raw);
      if (!message) return;
      const resync = this.#connectedOnce;
      this.#connectedOnce = true;
      this.options.handlers.snapshot(message, { resync });
      this.options.handlers.status('live', { error: null });
    });
    socket.on('vehicles', (raw) => {
      const message = this.#parse('vehicles', VehicleUpdatesMessageSchema, raw);
      if (message) this.options.handlers.vehicles(message);
    });
    socket.on('events', (raw) => {
      const message = this.#parse('events', FleetEventsMessageSchema, raw);
      if (!message) return;
      // The server marks events it replays on connect (missed while away):
      // they fill the log but raise no alarm sound or notification.
      if (message.events.length > 0) {
        const replay = message.replay === true;
        this.options.handlers.events(message.events, {
          replay,
          truncated: replay && message.truncated === true,
        });
      }
    });
    socket.on('connect_error', (err: Error & { data?: unknown }) => this.#refused(err));
    socket.on('disconnect', (reason) => {
      if (this.#stopped) return;
      this.options.handlers.status('reconnecting', { error: describeDisconnect(reason) });
      // The server closed this console on purpose (its session ended, or it restarts):
      // socket.io does not retry that by itself; try again, and a dead session is refused.
      if (reason === 'io server disconnect') this.#retryLater();
    });
    socket.io.on('reconnect_attempt', (attempt) => {
      this.options.handlers.status('reconnecting', { attempt });
    });
  }

  /** Narrows the feed to some fleets (null: all); the server answers with a new full snapshot. */
  async subscribe(fleetIds: number[] | null): Promise<SubscribeReply> {
    const socket = this.#socket;
    if (!socket?.connected) throw new Error('the feed is not connected');
    const raw: unknown = await socket.timeout(10_000).emitWithAck('subscribe', { fleetIds });
    const reply = SubscribeReplySchema.safeParse(raw);
    if (!reply.success)
      throw new Error('the server answered the subscription with something unexpected');
    return reply.data;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#socket?.removeAllListeners();
    this.#socket?.io.removeAllListeners();
    this.#socket?.close();
    this.#socket = null;
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  #auth(): ConsoleAuth {
    const auth: ConsoleAuth = {};
    const token = this.options.token();
    const cursor = this.options.cursor();
    const lastEventId = this.options.lastEventId();
    const fleetIds = this.options.fleetIds();
    if (token) auth.token = token;
    if (cursor) auth.resume = cursor;
    if (lastEventId !== null) auth.lastEventId = lastEventId;
    if (fleetIds) auth.fleetIds = fleetIds;
    return auth;
  }

  #parse<T>(what: string, schema: z.ZodType<T>, raw: unknown): T | null {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : '(message)';
    this.options.handlers.rejected(
      `${what} message refused: ${where}: ${issue?.message ?? 'invalid'}`,
    );
    return null;
  }

  #refused(err: Error & { data?: unknown }): void {
    if (this.#stopped) return;
    const body = ErrorBodySchema.safeParse((err.data as { error?: unknown } | undefined)?.error);
    if (body.success && FINAL_REFUSALS.has(body.data.type)) {
      this.options.handlers.status('unauthorized', { error: body.data.message });
      this.stop();
      return;
    }
    if (body.success && body.data.type === 'forbidden-fleet') this.options.handlers.fleetsRefused();
    const message = body.success ? body.data.message : 'the server cannot be reached';
    this.options.handlers.status(this.#connectedOnce ? 'reconnecting' : 'connecting', {
      error: message,
    });
    // A refusal by the namespace (not a network failure) is not retried by socket.io itself.
    if (body.success) this.#retryLater();
  }

  #retryLater(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#stopped && this.#socket && !this.#socket.connected) this.#socket.connect();
    }, this.options.reconnectDelayMs ?? 1000);
  }
}

function describeDisconnect(reason: string): string {
  switch (reason) {
    case 'io server disconnect':
      return 'the server closed the connection';
    case 'transport close':
    case 'transport error':
      return 'the connection to the server was lost';
    case 'ping timeout':
      return 'the server stopped answering';
    default:
      return reason;
  }
}
