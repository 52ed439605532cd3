/** Domain enumerations shared by every process. Values are wire values: never rename one. */

export const ROLES = ['admin', 'dispatcher', 'fleet_manager', 'driver', 'customer'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that may open the dispatch console and its live feed. */
export const CONSOLE_ROLES = [
  'admin',
  'dispatcher',
  'fleet_manager',
] as const satisfies readonly Role[];

/** Roles whose users always belong to one fleet at least: they work for a fleet. */
export const FLEET_MEMBER_ROLES = ['dispatcher', 'driver'] as const satisfies readonly Role[];

/**
 * GPS fix quality, after the NMEA 0183 GGA quality indicator (0..8).
 * `none` means the receiver reported no fix; such a sample is still a valid
 * sample (it tells the server the receiver is alive) but has no usable position.
 */
export const FIX_QUALITIES = [
  'none',
  'gps',
  'dgps',
  'pps',
  'rtk',
  'rtk_float',
  'estimated',
  'manual',
  'simulated',
] as const;
export type FixQuality = (typeof FIX_QUALITIES)[number];

/**
 * The OBD-II link as the vehicle's companion sees it, reported in `status`
 * samples so a console can tell "the engine is off" from "the adapter is
 * unplugged" from "no adapter is configured".
 * - `polling`: the adapter answers and the vehicle's ECUs reply;
 * - `ignition_off`: the adapter answers but the vehicle does not (engine off);
 * - `connecting`: opening or initialising the adapter;
 * - `unreachable`: the adapter is gone or stopped answering; the companion retries;
 * - `disabled`: this vehicle's companion has no OBD-II adapter configured.
 */
export const OBD_LINK_STATES = [
  'polling',
  'ignition_off',
  'connecting',
  'unreachable',
  'disabled',
] as const;
export type ObdLinkState = (typeof OBD_LINK_STATES)[number];

/**
 * The GPS receiver as the vehicle's companion sees it. `fix` and `no_fix`
 * while it talks; `silent` when it is connected but stopped talking;
 * `unreachable` when it is gone (the companion retries); `disabled` when none
 * is configured.
 */
export const GPS_RECEIVER_STATES = [
  'fix',
  'no_fix',
  'connecting',
  'silent',
  'unreachable',
  'disabled',
] as const;
export type GpsReceiverState = (typeof GPS_RECEIVER_STATES)[number];

/** Which OBD-II service reported a set of trouble codes: mode 03, 07 or 0A. */
export const DTC_KINDS = ['stored', 'pending', 'permanent'] as const;
export type DtcKind = (typeof DTC_KINDS)[number];

export const SAMPLE_KINDS = ['position', 'reading', 'dtc', 'status', 'driving'] as const;
export type SampleKind = (typeof SAMPLE_KINDS)[number];

/**
 * What a companion derives from its own sensors and reports as `driving`
 * samples: trips (from ignition and speed), idling, and harsh acceleration
 * and braking (from speed changes). Thresholds: driver-companion/README.md.
 */
export const DRIVING_EVENTS = [
  'trip_start',
  'trip_end',
  'idle_start',
  'idle_end',
  'harsh_acceleration',
  'harsh_braking',
] as const;
export type DrivingEvent = (typeof DRIVING_EVENTS)[number];

/** Events the server stores: derived by the server from telemetry, or reported by the companion. */
export const EVENT_TYPES = [
  'device_online',
  'device_offline',
  'overspeed',
  'ignition_on',
  'ignition_off',
  'dtc_new',
  ...DRIVING_EVENTS,
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
