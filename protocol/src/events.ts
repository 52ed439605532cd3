import { z } from 'zod';
import { DRIVING_EVENTS, DTC_KINDS } from './enums.js';

/** What a companion reported with a driving event; absent values are null. */
export const DrivingEventDataSchema = z.object({
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  speedKmh: z.number().nullable(),
  accelMs2: z.number().nullable(),
  durationS: z.number().nullable(),
  distanceKm: z.number().nullable(),
});
export type DrivingEventData = z.infer<typeof DrivingEventDataSchema>;

const eventBase = {
  id: z.number().int(),
  vehicleId: z.number().int(),
  /** When it happened (sample time for telemetry-derived events). */
  t: z.number().int(),
  /** When the server recorded it. */
  recordedAt: z.number().int(),
  /**
   * True when derived from samples that arrived after newer ones (a backlog
   * drained after an outage): it happened, but was not live.
   */
  late: z.boolean(),
};

export const FleetEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...eventBase,
    type: z.literal('device_online'),
    // When the vehicle was last heard before; null for its very first report.
    // Absent in events stored before the field existed.
    data: z.object({ previousSeenAt: z.number().int().nullable().optional() }),
  }),
  z.object({
    ...eventBase,
    type: z.literal('device_offline'),
    data: z.object({ lastSeenAt: z.number().int() }),
  }),
  z.object({
    ...eventBase,
    type: z.literal('overspeed'),
    data: z.object({
      speedKmh: z.number(),
      limitKmh: z.number(),
      lat: z.number(),
      lon: z.number(),
    }),
  }),
  z.object({ ...eventBase, type: z.literal('ignition_on'), data: z.object({}) }),
  z.object({ ...eventBase, type: z.literal('ignition_off'), data: z.object({}) }),
  z.object({
    ...eventBase,
    type: z.literal('dtc_new'),
    data: z.object({ code: z.string(), dtcKind: z.enum(DTC_KINDS) }),
  }),
  z.object({
    ...eventBase,
    type: z.enum(DRIVING_EVENTS),
    data: DrivingEventDataSchema,
  }),
]);
export type FleetEvent = z.infer<typeof FleetEventSchema>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the server has stored it. */
export type NewFleetEvent = DistributiveOmit<FleetEvent, 'id' | 'recordedAt'>;
