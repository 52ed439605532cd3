import { z } from 'zod';
import { DTC_KINDS, FIX_QUALITIES, GPS_RECEIVER_STATES, OBD_LINK_STATES } from './enums.js';

/** The last known position of a vehicle, as consoles see it. */
export const PositionStateSchema = z.object({
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
export type PositionState = z.infer<typeof PositionStateSchema>;

export const StatusStateSchema = z.object({
  t: z.number().int(),
  batteryV: z.number().nullable(),
  ignition: z.boolean().nullable(),
  gpsFix: z.enum(FIX_QUALITIES).nullable(),
  /**
   * Device health as the companion last reported it; null when it never
   * did. Servers before device health was added leave these out.
   */
  obdLink: z.enum(OBD_LINK_STATES).nullable().optional(),
  gpsReceiver: z.enum(GPS_RECEIVER_STATES).nullable().optional(),
  /** Samples waiting in the companion's outbox at `t`. */
  backlog: z.number().int().nullable().optional(),
});
export type StatusState = z.infer<typeof StatusStateSchema>;

export const ReadingStateSchema = z.object({
  pid: z.number().int(),
  part: z.number().int(),
  t: z.number().int(),
  value: z.number(),
  unit: z.string(),
});
export type ReadingState = z.infer<typeof ReadingStateSchema>;

export const DtcStateSchema = z.object({
  kind: z.enum(DTC_KINDS),
  t: z.number().int(),
  codes: z.array(z.string()),
});
export type DtcState = z.infer<typeof DtcStateSchema>;

/** The driver who has a vehicle now. */
export const DriverRefSchema = z.object({ id: z.number().int(), name: z.string() });
export type DriverRef = z.infer<typeof DriverRefSchema>;

/** What describes a vehicle, as opposed to what it reports. */
export const VehicleDetailsSchema = z.object({
  name: z.string(),
  plate: z.string().nullable(),
  vin: z.string().nullable(),
  fleetIds: z.array(z.number().int()),
  deviceId: z.number().int().nullable(),
  driver: DriverRefSchema.nullable(),
});
export type VehicleDetails = z.infer<typeof VehicleDetailsSchema>;

/**
 * Everything a console needs to draw and describe one vehicle. `rev` grows
 * each time the server changes this vehicle's state; a console keeps the
 * highest it has seen.
 */
export const VehicleSnapshotSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  plate: z.string().nullable(),
  vin: z.string().nullable(),
  fleetIds: z.array(z.number().int()),
  deviceId: z.number().int().nullable(),
  driver: DriverRefSchema.nullable(),
  online: z.boolean(),
  lastSeenAt: z.number().int().nullable(),
  overspeed: z.boolean(),
  position: PositionStateSchema.nullable(),
  status: StatusStateSchema.nullable(),
  readings: z.array(ReadingStateSchema),
  dtcs: z.array(DtcStateSchema),
  rev: z.number().int(),
});
export type VehicleSnapshot = z.infer<typeof VehicleSnapshotSchema>;

/**
 * A coalesced change to one vehicle: only what changed since the console's
 * previous update is present. `readings` and `dtcs` list changed entries only.
 */
export const VehicleUpdateSchema = z.object({
  id: z.number().int(),
  rev: z.number().int(),
  online: z.boolean().optional(),
  lastSeenAt: z.number().int().nullable().optional(),
  overspeed: z.boolean().optional(),
  position: PositionStateSchema.optional(),
  status: StatusStateSchema.optional(),
  readings: z.array(ReadingStateSchema).optional(),
  dtcs: z.array(DtcStateSchema).optional(),
  /** Present when the vehicle's record changed (renamed, new driver, other fleets, new device). */
  details: VehicleDetailsSchema.optional(),
});
export type VehicleUpdate = z.infer<typeof VehicleUpdateSchema>;

export const FleetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  overspeedLimitKmh: z.number(),
});
export type Fleet = z.infer<typeof FleetSchema>;

export const VehicleSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  plate: z.string().nullable(),
  vin: z.string().nullable(),
  fleetIds: z.array(z.number().int()),
  driver: DriverRefSchema.nullable(),
});
export type Vehicle = z.infer<typeof VehicleSchema>;
