/**
 * @fleetline/driver-companion: the in-vehicle daemon. It reads the OBD-II
 * adapter and the GPS receiver through @fleetline/hardware, keeps every
 * sample in a local SQLite outbox, and streams it to the server's device
 * uplink. See driver-companion/README.md.
 */

// The daemon as a class (the CLI's run, simulate and the demo fleet use it).
export { Companion, OUTBOX_FILE } from './companion.js';
export type { CompanionOptions } from './companion.js';
export type { CompanionStatus, Health, Problem } from './health/status.js';

// Configuration.
export { loadConfig, ConfigError, formatProblem } from './config/load.js';
export type { ConfigFlags, ConfigProblem, ConfigSources } from './config/load.js';
export { CompanionConfigSchema, DEFAULT_POLL_PLAN } from './config/schema.js';
export type { CompanionConfig, CompanionConfigInput, DeviceConfig } from './config/schema.js';
export { parseDeviceSpec, formatDeviceSpec } from './config/device-spec.js';

// The demo fleet `npm start` runs.
export { startDemoFleet, DEFAULT_DEMO_FLEET_SIZE } from './demo/demo-fleet.js';
/** The cities startDemoFleet drives in. */
export { DEMO_CITIES } from '@fleetline/hardware';
export type {
  DemoFleet,
  DemoFleetOptions,
  DemoFleetStatus,
  DemoVehicle,
  DemoVehicleStatus,
} from './demo/demo-fleet.js';

// Parts, for tools and tests built on the companion.
export { Outbox } from './outbox/outbox.js';
export type { OutboxStats } from './outbox/outbox.js';
export type { SampleDraft, OutboxSample } from './outbox/samples.js';
export { transportEndpoint } from './devices/endpoints.js';
export type { DeviceEndpoint } from './devices/endpoints.js';
export { createLogger } from './util/logger.js';
export { runCli } from './cli/cli.js';
export { COMPANION_VERSION } from './version.js';
