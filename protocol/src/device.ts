import { z } from 'zod';
import { ErrorPayloadSchema } from './errors.js';
import type { ErrorPayload } from './errors.js';
import { TelemetrySampleSchema } from './telemetry.js';

/** socket.io namespace of the device uplink. */
export const DEVICE_NAMESPACE = '/device';

/** Default and ceiling of samples per batch; the server announces its value in `hello`. */
export const DEFAULT_MAX_BATCH_SAMPLES = 1000;

/** Handshake `auth` a device sends when it connects. */
export const DeviceAuthSchema = z.object({
  token: z.string().min(1).max(512),
  /**
   * The identity of the outbox the device numbers its samples from: a UUID
   * made with the outbox file, kept in it, and so restored with it from a
   * backup. Lets the server tell the device whether the numbers it holds
   * came from this outbox (see `DeviceHello.lastOutboxId`). Optional: a
   * device without one is numbered by its own judgement alone.
   */
  outboxId: z.string().uuid().optional(),
});
export type DeviceAuth = z.infer<typeof DeviceAuthSchema>;

/** Sent by the server once the device is authenticated. */
export const DeviceHelloSchema = z.object({
  deviceId: z.number().int(),
  vehicleId: z.number().int(),
  /** Highest sequence number the server has durably stored for this device, 0 if none. */
  highestStoredSeq: z.number().int().min(0),
  maxBatchSamples: z.number().int().min(1),
  serverTime: z.number().int(),
  /**
   * The `outboxId` of the last connection that sent a batch with this
   * device's token before this one, or null when it named none or nothing
   * is on record. When it equals the
   * device's own, the numbers the server holds past the device's counter
   * are the device's own (a restored backup), not another outbox's.
   * Absent from servers older than the field.
   */
  lastOutboxId: z.string().nullable().optional(),
});
export type DeviceHello = z.infer<typeof DeviceHelloSchema>;

/**
 * The envelope is checked before any sample: a batch that is not an object
 * with a `samples` array is refused whole. Samples are then checked one by one.
 */
export const TelemetryBatchEnvelopeSchema = z.object({
  samples: z.array(z.unknown()),
});
/** A batch as a device builds it; the server checks it envelope first, then sample by sample. */
export const TelemetryBatchSchema = z.object({ samples: z.array(TelemetrySampleSchema) });
export type TelemetryBatch = z.input<typeof TelemetryBatchSchema>;

/** Why one sample of a batch was refused; the rest of the batch is unaffected. */
export const SampleRejectionSchema = z.object({
  /** Position of the sample in the batch. */
  index: z.number().int().min(0),
  /** Its sequence number, when it could be read. */
  seq: z.number().int().nullable(),
  /** Dotted path of the offending field inside the sample ('' for the sample itself). */
  field: z.string(),
  reason: z.string(),
});
export type SampleRejection = z.infer<typeof SampleRejectionSchema>;

/**
 * The answer to one batch, sent only after every accepted sample is committed.
 * Every sample of the batch is then settled (stored now, stored before, or
 * refused for good): the device may forget all of them.
 */
export const BatchAckSchema = z.object({
  ok: z.literal(true),
  /** Highest sequence number settled by this batch; null for an empty batch. */
  ackSeq: z.number().int().nullable(),
  /** Highest sequence number ever stored for this device. */
  highestStoredSeq: z.number().int().min(0),
  stored: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  rejected: z.array(SampleRejectionSchema),
});
export type BatchAck = z.infer<typeof BatchAckSchema>;

export const BatchReplySchema = z.union([BatchAckSchema, ErrorPayloadSchema]);
export type BatchReply = BatchAck | ErrorPayload;

export const DeviceSessionEndSchema = z.object({
  reason: z.enum(['revoked', 'replaced', 'shutting-down']),
});
export type DeviceSessionEnd = z.infer<typeof DeviceSessionEndSchema>;

export interface DeviceToServerEvents {
  telemetry: (batch: TelemetryBatch, ack: (reply: BatchReply) => void) => void;
}

export interface ServerToDeviceEvents {
  hello: (hello: DeviceHello) => void;
  /** Sent just before the server closes the session on purpose. */
  'session:end': (end: DeviceSessionEnd) => void;
}
