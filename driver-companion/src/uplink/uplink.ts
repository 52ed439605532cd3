import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import {
  DEVICE_NAMESPACE,
  DeviceHelloSchema,
  DeviceSessionEndSchema,
  ErrorPayloadSchema,
} from '@fleetline/protocol';
import type {
  BatchAck,
  DeviceAuth,
  DeviceHello,
  DeviceToServerEvents,
  ServerToDeviceEvents,
} from '@fleetline/protocol';
import type { TimeSource } from '../clock/time-source.js';
import type { UplinkConfig } from '../config/schema.js';
import { refusalHolds, refuser, serverKey, tokenHash } from '../outbox/outbox.js';
import type { Outbox, Refusal } from '../outbox/outbox.js';
import { Backoff, jitter } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import { messageOf } from '../util/logger.js';
import { BatchSender } from './batch-sender.js';
import type { SenderStats } from './batch-sender.js';
import { monotonicNow } from '../clock/monotonic.js';

export type DeviceSocket = Socket<ServerToDeviceEvents, DeviceToServerEvents>;
export type SocketFactory = (
  url: string,
  options: Partial<ManagerOptions & SocketOptions>,
) => DeviceSocket;

export type UplinkState =
  'idle' | 'connecting' | 'connected' | 'backoff' | 'replaced' | 'refused' | 'stopped';

export interface UplinkStatus {
  state: UplinkState;
  since: number;
  server: string;
  deviceId: number | null;
  vehicleId: number | null;
  /** The server refused the token; the companion will not use it again. */
  refusal: Refusal | null;
  lastError: { message: string; at: number } | null;
  lastHelloAt: number | null;
  /** Companion clock minus the server's at the last hello, ms. */
  serverClockOffsetMs: number | null;
  connects: number;
  nextAttemptAt: number | null;
  sender: SenderStats | null;
}

export interface UplinkOptions {
  url: string;
  token: string;
  config: UplinkConfig;
  outbox: Outbox;
  time: TimeSource;
  logger: Logger;
  socketFactory?: SocketFactory;
  now?: () => number;
  random?: () => number;
}

const REFUSALS = new Set(['device-token-invalid', 'device-token-revoked']);
/** The server rejects samples further ahead of its clock than this (MAX_CLOCK_SKEW_S default). */
const SERVER_SKEW_LIMIT_MS = 300_000;
/** A session that lasted this long counts as a success: the back-off starts over. */
const STABLE_SESSION_MS = 30_000;

/**
 * The device uplink: one socket.io connection to `/device` at a time,
 * authenticated by the token; the hello's checks (sequence numbers, clock);
 * a BatchSender per session; and reconnection with jittered exponential
 * back-off. socket.io-client's own reconnection is off: it cannot tell a
 * refused token (never retry) from a server restart (retry), nor wait the
 * long delay a replaced session deserves.
 */
export class Uplink {
  readonly #o: UplinkOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  readonly #factory: SocketFactory;
  readonly #sender: BatchSender;
  readonly #tokenHash: string;
  /** The configured server as a refusal records it. */
  readonly #serverKey: string;
  #socket: DeviceSocket | null = null;
  #timer: NodeJS.Timeout | null = null;
  #helloTimer: NodeJS.Timeout | null = null;
  #sessionStartedAt: number | null = null;
  #endReason: string | null = null;
  #status: UplinkStatus;
  readonly #unsubscribe: () => void;
  /** The outbox is not open (a full disk at start): no session until it is. */
  #waitingForOutbox = false;

  constructor(options: UplinkOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'uplink' });
    this.#now = options.now ?? monotonicNow;
    this.#random = options.random ?? Math.random;
    this.#tokenHash = tokenHash(options.token);
    this.#serverKey = serverKey(options.url);
    this.#backoff = new Backoff({
      minMs: options.config.reconnectMinS * 1000,
      maxMs: options.config.reconnectMaxS * 1000,
      random: this.#random,
    });
    this.#factory = options.socketFactory ?? ((url, socketOptions) => io(url, socketOptions));
    this.#sender = new BatchSender({
      outbox: options.outbox,
      channel: { send: (samples) => this.#emitBatch(samples) },
      logger: this.#log,
      batchMaxSamples: options.config.batchMaxSamples,
      sendIntervalMs: options.config.sendIntervalMs,
      backlogMaxInFlight: options.config.backlogMaxInFlight,
      backlogSamplesPerSecond: options.config.backlogSamplesPerSecond,
      retryMinMs: options.config.reconnectMinS * 1000,
      retryMaxMs: options.config.reconnectMaxS * 1000,
      onConnectionTrouble: (reason) => this.#renew(reason),
      onSettled: (ack) => this.#onSettled(ack),
      onOutboxError: (error) => this.#noteOutboxError(error),
      now: this.#now,
      random: this.#random,
    });
    this.#status = {
      state: 'idle',
      since: this.#now(),
      server: options.url,
      deviceId: null,
      vehicleId: null,
      refusal: null,
      lastError: null,
      lastHelloAt: null,
      serverClockOffsetMs: null,
      connects: 0,
      nextAttemptAt: null,
      sender: null,
    };
    const identity = this.#outboxOr(() => options.outbox.getIdentity(), null, 'read the identity');
    this.#status.deviceId = identity?.deviceId ?? null;
    this.#status.vehicleId = identity?.vehicleId ?? null;
    // A corrupt outbox moved aside mid-session: the new one needs a hello (numbering) first.
    // A new file behind the outbox: opened at last (a full disk at start), or a
    // corrupt one replaced mid-session, whose successor needs a hello (numbering) first.
    this.#unsubscribe = options.outbox.onReplaced(() => {
      const state = this.#status.state;
      if (this.#waitingForOutbox && state === 'backoff') this.#begin();
      else if (state === 'connected' || state === 'connecting')
        this.#renew('a new outbox file (the old one corrupt); starting a new session');
    });
  }

  status(): UplinkStatus {
    return { ...this.#status, sender: this.#sender.stats() };
  }

  start(): void {
    if (this.#status.state !== 'idle') return;
    this.#begin();
  }

  #begin(): void {
    if (!this.#o.outbox.available) {
      this.#waitForOutbox();
      return;
    }
    this.#waitingForOutbox = false;
    const refusal = this.#outboxOr(() => this.#o.outbox.getRefusal(), null, 'read a refusal');
    if (refusal && refusalHolds(refusal, this.#o.token, this.#o.url)) {
      // Refused before, same token, same server: never again. A new token or
      // server clears it; forget-refusal does once the server accepts the token again.
      this.#status.refusal = refusal;
      this.#setState('refused');
      this.#log.error(
        {
          type: refusal.type,
          refusedAt: new Date(refusal.at).toISOString(),
          refusedBy: refuser(refusal),
        },
        'the server refused this device token before; not connecting (run doctor, install a new token)',
      );
      return;
    }
    if (refusal)
      this.#outboxOr(() => this.#o.outbox.setRefusal(null), undefined, 'clear a refusal');
    this.#connect();
  }

  /** New samples are in the outbox. */
  notify(): void {
    this.#sender.notify();
  }

  /** Waits (up to drainMs) for replies to batches in flight, then closes. */
  async stop(drainMs = 5000): Promise<void> {
    const wasConnected = this.#status.state === 'connected';
    this.#setState('stopped');
    this.#clearTimers();
    if (wasConnected) await this.#sender.drain(drainMs);
    this.#sender.stop();
    this.#closeSocket();
    this.#unsubscribe();
  }

  /** Nothing to send from and nowhere to note what the server says: wait for the outbox to open. */
  #waitForOutbox(): void {
    this.#clearTimers();
    this.#closeSocket();
    this.#waitingForOutbox = true;
    this.#status.lastError = {
      message: 'waiting for the outbox to open (disk full?)',
      at: this.#now(),
    };
    this.#status.nextAttemptAt = null;
    this.#setState('backoff');
    this.#log.warn('not connecting until the outbox can be opened');
  }

  #connect(): void {
    if (!this.#o.outbox.available) {
      this.#waitForOutbox();
      return;
    }
    this.#clearTimers();
    this.#closeSocket();
    this.#endReason = null;
    this.#setState('connecting');
    this.#status.nextAttemptAt = null;
    const { origin, path } = socketTarget(this.#o.url);
    // The outbox the hello's numbering check is for: its file's, read at
    // every connect, since a corrupt file replaced by a new one starts a new
    // session (see onReplaced) under a new identity.
    const outboxId = this.#o.outbox.id;
    const auth: DeviceAuth =
      outboxId === null ? { token: this.#o.token } : { token: this.#o.token, outboxId };
    const socket = this.#factory(`${origin}${DEVICE_NAMESPACE}`, {
      path,
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: this.#o.config.connectTimeoutS * 1000,
    });
    this.#socket = socket;
    this.#log.info({ server: this.#o.url }, 'connecting');

    socket.on('connect', () => {
      // The hello should follow at once; a server that never sends one is as good as down.
      this.#helloTimer = setTimeout(
        () => this.#renew('no hello from the server'),
        this.#o.config.connectTimeoutS * 1000,
      );
      this.#helloTimer.unref();
    });
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      if (socket !== this.#socket) return;
      const body = ErrorPayloadSchema.safeParse(error.data);
      const type = body.success ? body.data.error.type : null;
      if (type && REFUSALS.has(type)) {
        this.#refuse(
          type as Refusal['type'],
          body.success ? body.data.error.message : error.message,
        );
        return;
      }
      this.#retryLater(type ? `${type}: ${error.message}` : error.message);
    });
    socket.on('hello', (raw: unknown) => {
      if (socket === this.#socket) this.#onHello(raw);
    });
    socket.on('session:end', (raw: unknown) => {
      if (socket !== this.#socket) return;
      const parsed = DeviceSessionEndSchema.safeParse(raw);
      const reason = parsed.success ? parsed.data.reason : 'unknown';
      this.#endReason = reason;
      // A server restarting is routine (the companion reconnects); anything else is worth a look.
      if (reason === 'shutting-down') this.#log.info({ reason }, 'server ended the session');
      else this.#log.warn({ reason }, 'server ended the session');
      if (reason === 'revoked')
        this.#refuse('device-token-revoked', 'the token was revoked while connected');
    });
    socket.on('disconnect', (reason) => {
      if (socket !== this.#socket) return;
      this.#sender.stop();
      const state = this.#status.state;
      if (state === 'refused' || state === 'stopped') return;
      if (this.#endReason === 'replaced') {
        const delay = this.#o.config.replacedRetryS * 1000 + jitter(0, 5000, this.#random);
        this.#log.error(
          { retryInMs: delay },
          'another companion connected with this token and took over; two devices share a token?',
        );
        this.#status.lastError = {
          message: 'replaced by another connection with the same token',
          at: this.#now(),
        };
        this.#setState('replaced');
        this.#schedule(delay);
        return;
      }
      this.#retryLater(`disconnected: ${this.#endReason ?? reason}`);
    });
  }

  #onHello(raw: unknown): void {
    const socket = this.#socket;
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
    const parsed = DeviceHelloSchema.safeParse(raw);
    if (!parsed.success) {
      this.#log.error({ hello: raw }, 'the server sent a hello that is not one; reconnecting');
      this.#renew('invalid hello');
      return;
    }
    const hello: DeviceHello = parsed.data;
    const outbox = this.#o.outbox;
    this.#o.time.noteServerTime(hello.serverTime);
    const offset = this.#o.time.now() - hello.serverTime;
    this.#status.serverClockOffsetMs = offset;
    if (offset > SERVER_SKEW_LIMIT_MS * 0.8) {
      this.#log.error(
        { aheadMs: offset },
        'sample times are ahead of the server clock; past 300 s the server refuses them (check GPS and system time)',
      );
    }
    const previous = this.#outboxOr(() => outbox.getIdentity(), null, 'read the identity');
    if (previous && previous.deviceId !== hello.deviceId) {
      this.#log.warn(
        { deviceId: hello.deviceId, previousDeviceId: previous.deviceId },
        'this token belongs to another device than the outbox last talked for (token replaced?)',
      );
    }
    const identity = { deviceId: hello.deviceId, vehicleId: hello.vehicleId };
    this.#outboxOr(() => outbox.setIdentity(identity), undefined, 'store the identity');
    this.#status.deviceId = hello.deviceId;
    this.#status.vehicleId = hello.vehicleId;
    // Before anything is sent: numbers the server already holds must not be reused.
    let numbering;
    try {
      numbering = outbox.checkNumbering(hello.deviceId, hello.highestStoredSeq, hello.lastOutboxId);
    } catch (error) {
      // Unchecked numbers must not go out: a new session checks again after the back-off.
      this.#noteOutboxError(error);
      // A corrupt outbox replaced itself and renewed the session already.
      if (socket === this.#socket)
        this.#renew(`the outbox could not check its numbering: ${messageOf(error)}`);
      return;
    }
    if (socket !== this.#socket) return;
    if (numbering.renumbered > 0) {
      this.#log.warn(
        {
          highestStoredSeq: hello.highestStoredSeq,
          lastOutboxId: hello.lastOutboxId,
          ...numbering,
        },
        'the outbox is new, was reset or restored, or another outbox used this token (the server may hold its numbers); waiting samples renumbered',
      );
    }
    const lanes = this.#sender.start(hello.maxBatchSamples);
    this.#sessionStartedAt = this.#now();
    this.#status.lastHelloAt = this.#now();
    this.#status.connects += 1;
    this.#status.nextAttemptAt = null;
    this.#setState('connected');
    this.#log.info(
      {
        deviceId: hello.deviceId,
        vehicleId: hello.vehicleId,
        highestStoredSeq: hello.highestStoredSeq,
        lastAssignedSeq: outbox.lastAssignedSeq,
        pending: outbox.pending,
        backlogFromSeq: lanes.backlogFromSeq,
        backlogThroughSeq: lanes.backlogThroughSeq,
        maxBatchSamples: hello.maxBatchSamples,
        serverClockOffsetMs: offset,
      },
      'uplink session started',
    );
  }

  /** An outbox call that the uplink can do without: logged and reported, `fallback` instead. */
  #outboxOr<T>(work: () => T, fallback: T, what: string): T {
    try {
      return work();
    } catch (error) {
      this.#log.error(
        { err: messageOf(error), what },
        'the outbox failed the uplink; going on without',
      );
      this.#noteOutboxError(error);
      return fallback;
    }
  }

  #noteOutboxError(error: unknown): void {
    this.#status.lastError = { message: `outbox: ${messageOf(error)}`, at: this.#now() };
  }

  /** The server took a batch: the connection works, so the next failure starts the back-off over. */
  #onSettled(_ack: BatchAck): void {
    this.#backoff.reset();
  }

  #emitBatch(samples: DeviceToServerEventsBatch): Promise<unknown> {
    const socket = this.#socket;
    if (!socket?.connected) return Promise.reject(new Error('not connected'));
    return new Promise<unknown>((resolve, reject) => {
      socket
        .timeout(this.#o.config.ackTimeoutS * 1000)
        .emit('telemetry', { samples }, (error: Error | null, reply: unknown) => {
          if (error) reject(error);
          else resolve(reply);
        });
    });
  }

  #refuse(type: Refusal['type'], message: string): void {
    const refusal: Refusal = {
      type,
      message,
      at: this.#now(),
      tokenHash: this.#tokenHash,
      serverUrl: this.#serverKey,
    };
    // Kept in memory whatever: this process does not retry the token either way.
    this.#outboxOr(() => this.#o.outbox.setRefusal(refusal), undefined, 'store the refusal');
    this.#status.refusal = refusal;
    this.#status.lastError = { message: `${type}: ${message}`, at: refusal.at };
    this.#sender.stop();
    this.#clearTimers();
    this.#setState('refused');
    this.#log.error(
      { type, message, server: this.#serverKey },
      'the server refused the device token; not retrying with it (samples stay in the outbox)',
    );
    // Close after the state change, so the disconnect that follows schedules nothing.
    this.#closeSocket();
  }

  /** Drop this connection and make a new one after the back-off. */
  #renew(reason: string): void {
    const state = this.#status.state;
    if (state === 'refused' || state === 'stopped') return;
    this.#sender.stop();
    this.#closeSocket();
    this.#retryLater(reason);
  }

  #retryLater(reason: string): void {
    const state = this.#status.state;
    if (state === 'refused' || state === 'stopped') return;
    const lasted = this.#sessionStartedAt === null ? 0 : this.#now() - this.#sessionStartedAt;
    if (lasted >= STABLE_SESSION_MS) this.#backoff.reset();
    this.#sessionStartedAt = null;
    const delay = this.#backoff.next();
    this.#status.lastError = { message: reason, at: this.#now() };
    this.#log.warn(
      { reason, retryInMs: delay, attempt: this.#backoff.attempts },
      'uplink down; retrying',
    );
    this.#setState('backoff');
    this.#schedule(delay);
  }

  #schedule(delayMs: number): void {
    this.#clearTimers();
    this.#status.nextAttemptAt = this.#now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#status.state === 'backoff' || this.#status.state === 'replaced') this.#connect();
    }, delayMs);
    this.#timer.unref();
  }

  #closeSocket(): void {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    socket.removeAllListeners();
    socket.close();
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#timer = null;
    this.#helloTimer = null;
  }

  #setState(state: UplinkState): void {
    if (this.#status.state === state) return;
    this.#status.state = state;
    this.#status.since = this.#now();
  }
}

type DeviceToServerEventsBatch = Parameters<DeviceToServerEvents['telemetry']>[0]['samples'];

/**
 * socket.io reads a URL's path as the namespace; a server behind a proxy
 * prefix (https://host/fleet) keeps its socket.io endpoint under that prefix.
 */
export function socketTarget(url: string): { origin: string; path: string } {
  const parsed = new URL(url);
  const prefix = parsed.pathname.replace(/\/+$/, '');
  return { origin: parsed.origin, path: `${prefix}/socket.io` };
}
