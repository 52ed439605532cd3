import { z } from 'zod';
import { EVENT_TYPES, FIX_QUALITIES, FLEET_MEMBER_ROLES, ROLES } from './enums.js';
import { DbIdSchema, plainText } from './text.js';
import { FleetSchema, VehicleSchema } from './vehicles.js';

/** REST API base path. Every route below it is listed in docs/API.md. */
export const API_BASE = '/api';
/** Name of the HttpOnly cookie a browser console authenticates with. */
export const SESSION_COOKIE = 'fleetline_session';

/**
 * An id written as text (a path segment, a query parameter): decimal digits
 * naming a row id. Anything else, or an id beyond what a column holds, is a
 * validation failure, never a query.
 */
const idText = z
  .string()
  .regex(/^\d+$/, 'must be a positive integer id')
  .transform(Number)
  .pipe(DbIdSchema);

/** A name as people type it: one line, outer spaces trimmed. */
const name = (max: number) => plainText().trim().min(1).max(max);

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }));

export const LoginRequestSchema = z.strictObject({
  email,
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.input<typeof LoginRequestSchema>;

export const CurrentUserSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  fleetIds: z.array(z.number().int()),
});
export type CurrentUser = z.infer<typeof CurrentUserSchema>;

export const LoginResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.number().int(),
  user: CurrentUserSchema,
});
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

export const FleetListSchema = z.object({ fleets: z.array(FleetSchema) });
export type FleetList = z.infer<typeof FleetListSchema>;

export const CreateFleetRequestSchema = z.strictObject({
  name: name(100),
  overspeedLimitKmh: z.number().min(5).max(300).default(90),
});
export type CreateFleetRequest = z.input<typeof CreateFleetRequestSchema>;

export const PASSWORD_MIN_LENGTH = 12;
const fleetMemberRoles: ReadonlySet<string> = new Set(FLEET_MEMBER_ROLES);
export const CreateUserRequestSchema = z
  .strictObject({
    email,
    name: name(100),
    /** Hashed, never stored as text: any characters may be in it. */
    password: z.string().min(PASSWORD_MIN_LENGTH).max(1024),
    role: z.enum(ROLES),
    fleetIds: z.array(DbIdSchema).max(1000).default([]),
  })
  .refine((u) => !fleetMemberRoles.has(u.role) || u.fleetIds.length > 0, {
    message: 'a dispatcher or driver belongs to one fleet at least',
    path: ['fleetIds'],
  });
export type CreateUserRequest = z.input<typeof CreateUserRequestSchema>;

export const RegisterVehicleRequestSchema = z.strictObject({
  name: name(100),
  plate: name(20).nullable().optional(),
  vin: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-HJ-NPR-Z0-9]{17}$/, 'must be 17 characters, letters I, O and Q excluded')
    .nullable()
    .optional(),
  /** A vehicle belongs to one fleet at least. */
  fleetIds: z.array(DbIdSchema).min(1).max(100),
  /** A user with the driver role who has the vehicle now. */
  driverUserId: DbIdSchema.nullable().optional(),
});
export type RegisterVehicleRequest = z.input<typeof RegisterVehicleRequestSchema>;

/** Assigns a vehicle's driver (a user with the driver role), or clears it with null. */
export const AssignDriverRequestSchema = z.strictObject({
  userId: DbIdSchema.nullable(),
});
export type AssignDriverRequest = z.input<typeof AssignDriverRequestSchema>;

export const DeviceCredentialsSchema = z.object({
  id: z.number().int(),
  /** Shown once: the server keeps only its hash. */
  token: z.string(),
});
export type DeviceCredentials = z.infer<typeof DeviceCredentialsSchema>;

export const RegisterVehicleResponseSchema = z.object({
  vehicle: VehicleSchema,
  device: DeviceCredentialsSchema,
});
export type RegisterVehicleResponse = z.infer<typeof RegisterVehicleResponseSchema>;

/** A time in a query string: epoch milliseconds or an ISO 8601 date-time. */
export const TimeParamSchema = z.string().transform((raw, ctx) => {
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(value)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be epoch milliseconds or an ISO 8601 date-time',
    });
    return z.NEVER;
  }
  return value;
});

/** The longest range one history request may cover. */
export const MAX_HISTORY_RANGE_MS = 31 * 24 * 3600 * 1000;
export const DEFAULT_HISTORY_POINTS = 2000;
export const MAX_HISTORY_POINTS = 20_000;

export const HistoryQuerySchema = z
  .strictObject({
    from: TimeParamSchema,
    to: TimeParamSchema,
    maxPoints: z.coerce
      .number()
      .int()
      .min(2)
      .max(MAX_HISTORY_POINTS)
      .default(DEFAULT_HISTORY_POINTS),
    pid: z.coerce.number().int().min(0).max(0xff).optional(),
  })
  .refine((q) => q.to > q.from, { message: 'must be after from', path: ['to'] })
  .refine((q) => q.to - q.from <= MAX_HISTORY_RANGE_MS, {
    message: 'the range may cover at most 31 days',
    path: ['to'],
  });
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const PositionPointSchema = z.object({
  t: z.number().int(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number().nullable(),
  headingDeg: z.number().nullable(),
  altitudeM: z.number().nullable(),
  hdop: z.number().nullable(),
  satellites: z.number().int().nullable(),
  fixQuality: z.enum(FIX_QUALITIES),
});
export type PositionPoint = z.infer<typeof PositionPointSchema>;

const historyEnvelope = {
  vehicleId: z.number().int(),
  from: z.number().int(),
  to: z.number().int(),
  /** True when the range held more points than asked for and was thinned. */
  downsampled: z.boolean(),
  /** Width of a downsampling bucket; 0 when not downsampled. */
  bucketMs: z.number().int(),
};

export const PositionHistorySchema = z.object({
  ...historyEnvelope,
  points: z.array(PositionPointSchema),
});
export type PositionHistory = z.infer<typeof PositionHistorySchema>;

export const ReadingSeriesSchema = z.object({
  pid: z.number().int(),
  part: z.number().int(),
  unit: z.string(),
  points: z.array(z.object({ t: z.number().int(), value: z.number() })),
});
export type ReadingSeries = z.infer<typeof ReadingSeriesSchema>;

export const ReadingHistorySchema = z.object({
  ...historyEnvelope,
  series: z.array(ReadingSeriesSchema),
});
export type ReadingHistory = z.infer<typeof ReadingHistorySchema>;

export const EventQuerySchema = z
  .strictObject({
    from: TimeParamSchema.optional(),
    to: TimeParamSchema.optional(),
    vehicleId: idText.optional(),
    type: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(z.enum(EVENT_TYPES)))
      .optional(),
    /** Return events with an id below this one (paging backwards). */
    before: idText.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  // [from, to), as for history: a reversed or empty range is a mistake, not "no events".
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, {
    message: 'must be after from',
    path: ['to'],
  });
export type EventQuery = z.infer<typeof EventQuerySchema>;

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.enum(['ok', 'unreachable']),
  /**
   * Database threads that died and were replaced since start. The server
   * recovers on its own (the query in flight fails, later ones succeed), so
   * this is how an operator learns it happened.
   */
  databaseThreadsReplaced: z.number().int().nonnegative(),
  uptimeS: z.number(),
  version: z.string(),
});
export type Health = z.infer<typeof HealthSchema>;

/** `?fleetIds=1,2`: narrows a fleet snapshot; omitted means every fleet the user sees. */
export const SnapshotQuerySchema = z.strictObject({
  fleetIds: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be fleet ids separated by commas')
    .transform((s) => s.split(',').map(Number))
    .pipe(z.array(DbIdSchema).max(1000))
    .optional(),
});
export type SnapshotQuery = z.infer<typeof SnapshotQuerySchema>;

/** A numeric id in a path: out of a column's range it is 400, like any other malformed id. */
export const IdParamSchema = idText;

/** A trip as the companion reported it: from trip_start to trip_end. */
export const TripSchema = z.object({
  startT: z.number().int().nullable(),
  /** Null while the trip goes on (or if its end was never reported). */
  endT: z.number().int().nullable(),
  durationS: z.number().nullable(),
  distanceKm: z.number().nullable(),
  start: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  end: z.object({ lat: z.number(), lon: z.number() }).nullable(),
});
export type Trip = z.infer<typeof TripSchema>;

export const TripListSchema = z.object({
  vehicleId: z.number().int(),
  from: z.number().int(),
  to: z.number().int(),
  trips: z.array(TripSchema),
});
export type TripList = z.infer<typeof TripListSchema>;

/** What a console needs before anyone logs in: map settings. Public. */
export const ConsoleConfigSchema = z.object({
  map: z.object({
    /** A Mapbox public token: with it the console draws Mapbox tiles; without, its bundled offline style. */
    mapboxToken: z.string().nullable(),
    /** A self-hosted style to use instead of either. */
    styleUrl: z.string().nullable(),
  }),
  /**
   * How long the server keeps history, in days; null keeps it for good.
   * Absent from servers that predate it: the console then assumes nothing.
   */
  retention: z
    .object({
      telemetryDays: z.number().int().positive().nullable(),
      eventDays: z.number().int().positive().nullable(),
    })
    .optional(),
  version: z.string(),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;
