/**
 * @fleetline/hardware: the device side of Fleetline. Transports (serial, TCP,
 * BLE, in-memory) behind one interface; an ELM327 client and OBD-II decoding;
 * an NMEA 0183 parser and fix assembler; and simulators of both devices.
 * See hardware/README.md for a walk-through.
 */

// Errors: every failure is a HardwareError with a stable `type`.
export {
  AdapterUnresponsiveError,
  DeviceGoneError,
  GuardError,
  HardwareError,
  SimulatorError,
  TimeoutError,
  TransportClosedError,
  TransportNotOpenError,
  TransportOpenError,
  WriteError,
  isHardwareError,
} from './errors.js';
export type { HardwareErrorType } from './errors.js';

// Transports.
export type { Transport, TransportKind, TransportState } from './transports/transport.js';
export { SerialTransport } from './transports/serial.js';
export type { SerialTransportOptions } from './transports/serial.js';
export { TcpTransport } from './transports/tcp.js';
export type { TcpTransportOptions } from './transports/tcp.js';
export { BleTransport } from './transports/ble/ble.js';
export type { BleTransportOptions } from './transports/ble/ble.js';
export { KNOWN_GATT_PROFILES, matchGattProfile } from './transports/ble/profiles.js';
export { discoverBleAdapters, isPlausibleAdapter } from './transports/ble/discovery.js';
export type { BleAdapterFound } from './transports/ble/discovery.js';
export { loadNoble } from './transports/ble/load-noble.js';
export type { GattMatch, GattSerialProfile } from './transports/ble/profiles.js';
export type {
  NobleCharacteristicLike,
  NobleLike,
  NoblePeripheralLike,
  NobleServiceLike,
} from './transports/ble/noble-like.js';
export { MemoryTransport, createMemoryLink } from './transports/memory.js';
export type { MemoryLink, MemoryLinkOptions } from './transports/memory.js';

// ELM327.
export { Elm327Client } from './elm327/client.js';
export type {
  Elm327ClientOptions,
  ElmAdapterInfo,
  ElmInitResult,
  ElmVehicleConnection,
  SendOptions,
} from './elm327/client.js';
export { AdapterReplyError } from './elm327/errors.js';
export { classifyReply, isErrorOutcome, OUTCOME_MESSAGES } from './elm327/replies.js';
export type { ElmOutcome, ElmReply } from './elm327/replies.js';
export { IsoTpError, parseFrames } from './elm327/frames.js';
export type { EcuMessage, FrameFormat, ParsedReply } from './elm327/frames.js';
export { obdProtocol } from './elm327/protocols.js';
export type { ObdProtocol, ObdProtocolFamily } from './elm327/protocols.js';

// OBD-II.
export { ObdSession, CLEAR_TROUBLE_CODES_CONFIRMATION } from './obd/session.js';
export type { ClearTroubleCodesOptions, ObdAnswer, TroubleCodeReport } from './obd/session.js';
export { MODE01_PIDS, PID, pidDefinition } from './obd/pids.js';
export type { PidDefinition, PidValueSpec } from './obd/pids.js';
export { MAX_PIDS_PER_REQUEST, decodeMode01Message } from './obd/mode01.js';
export type { ObdReading } from './obd/mode01.js';
export { describeTroubleCode, decodeTroubleCodes, dtcFromBytes } from './obd/dtc.js';
export type { TroubleCode } from './obd/dtc.js';
export { decodeVin } from './obd/mode09.js';
export { ObdDecodeError, ObdNegativeResponseError, ReplyMismatchError } from './obd/errors.js';

// NMEA 0183.
export { parseNmeaSentence, formatNmeaSentence, nmeaChecksum } from './nmea/parse.js';
export type { ParseOptions } from './nmea/parse.js';
export { NmeaStreamParser } from './nmea/stream.js';
export type { NmeaStreamItem } from './nmea/stream.js';
export { FixAssembler } from './nmea/assembler.js';
export type { FixMode, GnssFix } from './nmea/fix.js';
export { GpsReader } from './nmea/reader.js';
export { NmeaChecksumError, NmeaFormatError } from './nmea/errors.js';
export type * from './nmea/types.js';

// Mapping onto @fleetline/protocol samples.
export { fixToPositionSample, readingToSample } from './samples.js';
export type { PositionSampleDraft, ReadingSampleDraft } from './samples.js';

// Simulators.
export { Elm327Simulator } from './simulators/elm327-simulator.js';
export type { Elm327Scenario, Elm327SimulatorOptions } from './simulators/elm327-simulator.js';
export { GpsSimulator } from './simulators/gps-simulator.js';
export type { GpsOutage, GpsSimulatorOptions } from './simulators/gps-simulator.js';
export { SimulatedVehicle } from './simulators/vehicle.js';
export type { SimulatedVehicleOptions, VehicleState } from './simulators/vehicle.js';
export { Route, DEMO_CITIES, generateCityRoute, distanceM } from './simulators/route.js';
export type { CityRouteOptions, LatLon, RoutePoint } from './simulators/route.js';
export { createDemoFleet, driveInRealTime } from './simulators/fleet.js';
export type { DemoFleetOptions } from './simulators/fleet.js';
export { createPtyPair } from './simulators/pty.js';
export type { PtyPair, PtyPairOptions } from './simulators/pty.js';
export { createSimulatedLink } from './simulators/links.js';
export type { SimulatedLink, SimulatedLinkKind, SimulatedLinkOptions } from './simulators/links.js';
