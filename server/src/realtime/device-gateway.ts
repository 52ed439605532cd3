import type { Namespace, Socket } from 'socket.io';
import { DeviceAuthSchema, fieldErrors } from '@fleetline/protocol';
import type {
  BatchReply,
  SampleRejection,
  DeviceSessionEnd,
  DeviceToServerEvents,
  ServerToDeviceEvents,
} from '@fleetline/protocol';
import { AppError, toErrorBody } from '../domain/errors.js';
import type { RetentionConfig } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import { validateBatch } from '../ingest/sample-validator.js';
import type { ValidatedBatch, ValidationLimits } from '../ingest/sample-validator.js';
import type { WriteBatcher, WriteResult } from '../ingest/write-batcher.js';
import type { AuthenticatedDevice, DeviceAuthService } from '../services/device-auth-service.js';

interface DeviceSocketData {
  device: AuthenticatedDevice;
  inFlight: number;
  /** The outbox the handshake named, null if none. */
  outboxId: string | null;
  /**
   * Whether the token's record of its last outbox is this connection's:
   * true, or the write that makes it so (started by the first batch).
   */
  outboxRecorded: true | Promise<void> | null;
}

export type DeviceNamespace = Namespace<
  DeviceToServerEvents,
  ServerToDeviceEvents,
  Record<string, never>,
  DeviceSocketData
>;
type DeviceSocket = Socket<
  DeviceToServerEvents,
  ServerToDeviceEvents,
  Record<string, never>,
  DeviceSocketData
>;

/** A device may have this many batches awaiting their ack; more is a misbehaving client. */
const MAX_IN_FLIGHT_BATCHES = 8;

export interface DeviceGatewayOptions {
  maxBatchSamples: number;
  maxClockSkewMs: number;
  retention: RetentionConfig;
}

/**
 * The device uplink: authenticates companions by token, answers each batch
 * once its samples are committed, and ends sessions of revoked devices.
 */
export class DeviceGateway {
  private readonly sockets = new Map<number, DeviceSocket>();
  private accepting = true;
  private readonly limits: ValidationLimits;

  constructor(
    private readonly namespace: DeviceNamespace,
    private readonly deps: {
      deviceAuth: DeviceAuthService;
      batcher: WriteBatcher;
      /** Makes sure the live state knows the device's vehicle (registered by another process, say). */
      ensureVehicle: (vehicleId: number) => Promise<void>;
      clock: Clock;
      logger: Logger;
    },
    private readonly options: DeviceGatewayOptions,
  ) {
    this.limits = {
      maxSamples: options.maxBatchSamples,
      maxClockSkewMs: options.maxClockSkewMs,
      retention: options.retention,
    };
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(connectError(err)),
      );
    });
    namespace.on('connection', (socket) => this.onConnection(socket));
  }

  get connected(): number {
    return this.sockets.size;
  }

  /** Ends the sessions of devices that may no longer connect; returns the vehicles of those ended. */
  endSessions(deviceIds: readonly number[], reason: DeviceSessionEnd['reason']): number[] {
    const vehicleIds: number[] = [];
    for (const deviceId of deviceIds) {
      const socket = this.sockets.get(deviceId);
      if (!socket) continue;
      this.deps.logger.info({ deviceId, reason }, 'ending device session');
      vehicleIds.push(socket.data.device.vehicleId);
      socket.emit('session:end', { reason });
      socket.disconnect(true);
    }
    return vehicleIds;
  }

  connectedDeviceIds(): number[] {
    return [...this.sockets.keys()];
  }

  /** From now on batches are refused with `shutting-down`; the device keeps them for later. */
  stopAccepting(): void {
    this.accepting = false;
  }

  endAll(): void {
    this.endSessions([...this.sockets.keys()], 'shutting-down');
  }

  private async authenticate(socket: DeviceSocket): Promise<void> {
    const auth = DeviceAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) {
      // A bad token is refused for good; a malformed outboxId is a fault of
      // the device's software, not of its token, and must not read as one.
      if (auth.error.issues.some((issue) => issue.path[0] === 'token'))
        throw new AppError('device-token-invalid', 'the handshake must carry auth.token');
      throw new AppError(
        'validation-failed',
        'invalid handshake',
        fieldErrors(auth.error, ['auth']),
      );
    }
    const device = await this.deps.deviceAuth.authenticate(auth.data.token);
    await this.deps.ensureVehicle(device.vehicleId);
    this.deps.batcher.noteDevice(device.deviceId, device.highestSeq);
    socket.data.device = device;
    socket.data.inFlight = 0;
    socket.data.outboxId = auth.data.outboxId ?? null;
    socket.data.outboxRecorded = socket.data.outboxId === device.lastOutboxId ? true : null;
  }

  /**
   * Records the token's last outbox as this connection's, once: at its first
   * batch, not at the handshake, because a device sends only after its
   * hello's numbering check is done. A device that failed before would
   * otherwise find its own outbox on record and take the server's numbers
   * for its own. Batches that come meanwhile wait for the same write; after
   * a failure the next batch tries again.
   */
  private recordOutbox(data: DeviceSocketData): Promise<void> {
    if (data.outboxRecorded === true) return Promise.resolve();
    if (data.outboxRecorded) return data.outboxRecorded;
    const recording: Promise<void> = this.deps.deviceAuth
      .recordOutbox(data.device.deviceId, data.outboxId)
      .then(
        () => {
          data.outboxRecorded = true;
        },
        (err: unknown) => {
          if (data.outboxRecorded === recording) data.outboxRecorded = null;
          throw err;
        },
      );
    data.outboxRecorded = recording;
    return recording;
  }

  private onConnection(socket: DeviceSocket): void {
    const { device } = socket.data;
    const log = this.deps.logger.child({ deviceId: device.deviceId, vehicleId: device.vehicleId });
    const previous = this.sockets.get(device.deviceId);
    if (previous) {
      // One companion per device token: the newest connection wins.
      log.warn('device connected twice; closing the older session');
      previous.emit('session:end', { reason: 'replaced' });
      previous.disconnect(true);
    }
    this.sockets.set(device.deviceId, socket);
    log.info('device connected');
    socket.emit('hello', {
      deviceId: device.deviceId,
      vehicleId: device.vehicleId,
      highestStoredSeq: this.deps.batcher.highestStoredSeq(device.deviceId),
      maxBatchSamples: this.options.maxBatchSamples,
      serverTime: this.deps.clock.now(),
      lastOutboxId: device.lastOutboxId,
    });

    socket.on('telemetry', (batch: unknown, ack: unknown) => {
      if (typeof ack !== 'function') {
        log.warn('telemetry batch without an ack callback ignored');
        return;
      }
      const reply = ack as (r: BatchReply) => void;
      if (socket.data.inFlight >= MAX_IN_FLIGHT_BATCHES) {
        reply({
          error: {
            type: 'rate-limited',
            message: `at most ${MAX_IN_FLIGHT_BATCHES} batches may await their ack`,
          },
        });
        return;
      }
      socket.data.inFlight++;
      const done = (r: BatchReply): void => {
        socket.data.inFlight--;
        reply(r);
      };
      if (socket.data.outboxRecorded === true) {
        this.ingest(device, batch, log, done);
        return;
      }
      this.recordOutbox(socket.data).then(
        () => this.ingest(device, batch, log, done),
        (err: unknown) => {
          log.error({ err }, 'could not record the outbox of the connection');
          done({ error: toErrorBody(new AppError('unavailable')) });
        },
      );
    });

    socket.on('disconnect', (reason) => {
      if (this.sockets.get(device.deviceId) === socket) this.sockets.delete(device.deviceId);
      log.info({ reason }, 'device disconnected');
    });
  }

  /**
   * Validates a batch and hands its valid samples to the writer; `reply` is
   * called once, when they are committed or refused. Callbacks rather than
   * promises: this runs for every batch of every device.
   */
  private ingest(
    device: AuthenticatedDevice,
    raw: unknown,
    log: Logger,
    reply: (r: BatchReply) => void,
  ): void {
    let validated: ValidatedBatch;
    try {
      if (!this.accepting)
        throw new AppError('shutting-down', 'the server is restarting; keep the batch and retry');
      validated = validateBatch(raw, this.limits, this.deps.clock.now());
    } catch (err) {
      reply({ error: toErrorBody(err) });
      return;
    }
    if (validated.rejected.length > 0) {
      log.warn(
        { rejected: validated.rejected.slice(0, 10), count: validated.rejected.length },
        'samples rejected',
      );
    }
    if (validated.accepted.length === 0) {
      reply(
        batchReply(validated, {
          stored: 0,
          duplicates: 0,
          highestStoredSeq: this.deps.batcher.highestStoredSeq(device.deviceId),
          refused: [],
        }),
      );
      return;
    }
    this.deps.batcher.enqueue(
      device,
      validated.accepted.map((a) => a.sample),
      (err, result) =>
        reply(err ? { error: toErrorBody(err) } : batchReply(validated, result as WriteResult)),
    );
  }
}

function batchReply(validated: ValidatedBatch, result: WriteResult): BatchReply {
  return {
    ok: true,
    ackSeq: validated.highestSeq,
    highestStoredSeq: result.highestStoredSeq,
    stored: result.stored,
    duplicates: result.duplicates,
    rejected:
      result.refused.length === 0
        ? validated.rejected
        : [...validated.rejected, ...refusedByDatabase(validated.accepted, result.refused)],
  };
}

/**
 * Samples valid by every rule that the database still could not store: they
 * never will be, so they are refused like invalid ones, by their place in the batch.
 */
function refusedByDatabase(
  accepted: ValidatedBatch['accepted'],
  refusedSeqs: readonly number[],
): SampleRejection[] {
  if (refusedSeqs.length === 0) return [];
  const refused = new Set(refusedSeqs);
  return accepted
    .filter((a) => refused.delete(a.sample.seq))
    .map((a) => ({
      index: a.index,
      seq: a.sample.seq,
      field: '',
      reason: 'the server could not store this sample; it will not be stored if sent again',
    }));
}

/** socket.io sends `data` of a middleware error to the client as `connect_error`'s `err.data`. */
export function connectError(err: unknown): Error & { data: unknown } {
  const body = toErrorBody(err);
  return Object.assign(new Error(body.message), { data: { error: body } });
}
