import { z } from 'zod';
import {
  DRIVING_EVENTS,
  DTC_KINDS,
  FIX_QUALITIES,
  GPS_RECEIVER_STATES,
  OBD_LINK_STATES,
} from './enums.js';
import { LatitudeSchema, LongitudeSchema } from './geo.js';
import { plainText } from './text.js';

/** 2000-01-01T00:00:00Z: older timestamps come from a receiver with no time yet. */
export const EARLIEST_SAMPLE_TIME_MS = 946_684_800_000;
/** Hard upper bound in the schema; the server also bounds skew against its own clock. */
export const LATEST_SAMPLE_TIME_MS = 4_102_444_800_000;

/** Per-device sequence number: starts at 1, strictly increasing in the device's outbox. */
export const SequenceSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** Milliseconds since the Unix epoch, UTC. */
export const EpochMsSchema = z
  .number()
  .int()
  .min(EARLIEST_SAMPLE_TIME_MS)
  .max(LATEST_SAMPLE_TIME_MS);

export const DTC_CODE_PATTERN = /^[PCBU][0-3][0-9A-F]{3}$/;

const sampleBase = { seq: SequenceSchema, t: EpochMsSchema };

/** One GNSS fix. A sample is only sent with a fix; receiver health travels in `status`. */
export const PositionSampleSchema = z.object({
  kind: z.literal('position'),
  ...sampleBase,
  lat: LatitudeSchema,
  lon: LongitudeSchema,
  speedKmh: z.number().min(0).max(400).nullable().optional(),
  headingDeg: z.number().min(0).max(360).nullable().optional(),
  altitudeM: z.number().min(-1000).max(10000).nullable().optional(),
  hdop: z.number().min(0).max(99.99).nullable().optional(),
  satellites: z.number().int().min(0).max(255).nullable().optional(),
  fixQuality: z.enum(FIX_QUALITIES).exclude(['none']),
});

/**
 * One decoded OBD-II mode 01 value. PIDs that decode to several values (O2
 * sensors, for example) send one reading per `part`.
 */
export const ReadingSampleSchema = z.object({
  kind: z.literal('reading'),
  ...sampleBase,
  pid: z.number().int().min(0).max(0xff),
  part: z.number().int().min(0).max(7).default(0),
  value: z.number(),
  unit: plainText().min(1).max(16),
});

/** The complete set of codes one OBD-II service reported; empty means none. */
export const DtcSampleSchema = z.object({
  kind: z.literal('dtc'),
  ...sampleBase,
  dtcKind: z.enum(DTC_KINDS),
  codes: z
    .array(z.string().regex(DTC_CODE_PATTERN, 'must be a trouble code such as P0301'))
    .max(128),
});

/** The most samples a companion may say it holds; more is a broken counter. */
export const MAX_REPORTED_BACKLOG = 1_000_000_000;

/**
 * The vehicle's and the companion's own state. Every field is optional: a
 * status sample carries what changed or what was measured, and the server
 * keeps the last known value of each field.
 */
export const StatusSampleSchema = z
  .object({
    kind: z.literal('status'),
    ...sampleBase,
    batteryV: z.number().min(0).max(60).nullable().optional(),
    ignition: z.boolean().nullable().optional(),
    gpsFix: z.enum(FIX_QUALITIES).nullable().optional(),
    /** Device health: the OBD-II link. */
    obdLink: z.enum(OBD_LINK_STATES).nullable().optional(),
    /** Device health: the GPS receiver. */
    gpsReceiver: z.enum(GPS_RECEIVER_STATES).nullable().optional(),
    /** Device health: samples waiting in the companion's outbox when this one was taken. */
    backlog: z.number().int().min(0).max(MAX_REPORTED_BACKLOG).nullable().optional(),
  })
  .refine(
    (s) =>
      s.batteryV != null ||
      s.ignition != null ||
      s.gpsFix != null ||
      s.obdLink != null ||
      s.gpsReceiver != null ||
      s.backlog != null,
    {
      message: 'a status sample needs batteryV, ignition, gpsFix, obdLink, gpsReceiver or backlog',
    },
  );

/**
 * Something the companion worked out about the driving: a trip started or
 * ended, idling started or ended, a harsh acceleration or braking. The server
 * stores it and turns it into an event of the same name.
 */
export const DrivingSampleSchema = z.object({
  kind: z.literal('driving'),
  ...sampleBase,
  event: z.enum(DRIVING_EVENTS),
  lat: LatitudeSchema.nullable().optional(),
  lon: LongitudeSchema.nullable().optional(),
  speedKmh: z.number().min(0).max(400).nullable().optional(),
  /** Harsh events: the acceleration, m/s² (negative when braking). */
  accelMs2: z.number().min(-30).max(30).nullable().optional(),
  /** trip_end and idle_end: how long the trip or the idling lasted. */
  durationS: z
    .number()
    .min(0)
    .max(7 * 86400)
    .nullable()
    .optional(),
  /** trip_end: distance driven. */
  distanceKm: z.number().min(0).max(10000).nullable().optional(),
});

export const TelemetrySampleSchema = z.discriminatedUnion('kind', [
  PositionSampleSchema,
  ReadingSampleSchema,
  DtcSampleSchema,
  StatusSampleSchema,
  DrivingSampleSchema,
]);

export type PositionSample = z.infer<typeof PositionSampleSchema>;
export type ReadingSample = z.infer<typeof ReadingSampleSchema>;
export type DtcSample = z.infer<typeof DtcSampleSchema>;
export type StatusSample = z.infer<typeof StatusSampleSchema>;
export type DrivingSample = z.infer<typeof DrivingSampleSchema>;
export type TelemetrySample = z.infer<typeof TelemetrySampleSchema>;
/** What a device may put on the wire (defaults not yet applied). */
export type TelemetrySampleInput = z.input<typeof TelemetrySampleSchema>;
