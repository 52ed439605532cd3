import { z } from 'zod';
import { PID, pidDefinition } from '@fleetline/hardware';
import { DEFAULT_POLL_PLAN } from './default-plan.js';

export { DEFAULT_POLL_PLAN };

/**
 * The companion's configuration: one zod schema for the file, the
 * environment and the flags alike (they are merged first, then checked
 * here), so every source gets the same precise errors. Objects are strict:
 * a misspelt key is an error, not a silently ignored setting.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Rates a UART (and the ELM327's ATBRD) can be set to; anything else is a typo. */
export const BAUD_RATES = [
  1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 921600,
  1000000, 2000000,
] as const;

const BaudRateSchema = z
  .number()
  .int()
  .refine((b) => (BAUD_RATES as readonly number[]).includes(b), {
    message: `must be a standard baud rate (${BAUD_RATES.join(', ')})`,
  });

const PortSchema = z.number().int().min(1).max(65535);

const SerialDeviceSchema = z.strictObject({
  transport: z.literal('serial'),
  /** /dev/ttyUSB0, /dev/rfcomm0, /dev/serial/by-id/..., or a pty. */
  path: z.string().min(1),
  baudRate: BaudRateSchema.optional(),
});
const TcpDeviceSchema = z.strictObject({
  transport: z.literal('tcp'),
  host: z.string().min(1),
  port: PortSchema.optional(),
});
const BleDeviceSchema = z.strictObject({
  transport: z.literal('ble'),
  /** Peripheral id or MAC address; without it the first plausible adapter is used. */
  address: z.string().min(1).optional(),
  /** Advertised name, matched as a case-insensitive substring. */
  name: z.string().min(1).optional(),
});
const AutoDeviceSchema = z.strictObject({ transport: z.literal('auto') });
const NoDeviceSchema = z.strictObject({ transport: z.literal('none') });

export const DeviceConfigSchema = z.discriminatedUnion('transport', [
  SerialDeviceSchema,
  TcpDeviceSchema,
  BleDeviceSchema,
  AutoDeviceSchema,
  NoDeviceSchema,
]);
export type DeviceConfig = z.infer<typeof DeviceConfigSchema>;

const PID_NAMES = Object.keys(PID) as (keyof typeof PID)[];

/** A PID by name ('SPEED'), number (13) or hex string ('0x0D'). */
export const PidRefSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  let pid: number | undefined;
  if (typeof value === 'number') pid = value;
  else if (/^0x[0-9a-f]{1,2}$/i.test(value)) pid = Number.parseInt(value.slice(2), 16);
  else if (/^[0-9]{1,3}$/.test(value)) pid = Number.parseInt(value, 10);
  else pid = PID[value.toUpperCase() as keyof typeof PID];
  if (pid === undefined || !Number.isInteger(pid)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown PID ${JSON.stringify(value)}: use a number, 0xNN, or one of ${PID_NAMES.join(', ')}`,
    });
    return z.NEVER;
  }
  const definition = pidDefinition(pid);
  if (!definition || definition.values.length === 0) {
    ctx.addIssue({ code: 'custom', message: `PID 0x${hex2(pid)} is not a decodable mode 01 PID` });
    return z.NEVER;
  }
  if (definition.values.every((v) => v.unit === 'bitmask')) {
    ctx.addIssue({
      code: 'custom',
      message: `PID 0x${hex2(pid)} (${definition.name}) is a support bitmask, not a reading`,
    });
    return z.NEVER;
  }
  return pid;
});

export const PollEntrySchema = z.strictObject({
  pid: PidRefSchema,
  /** Seconds between two readings of this PID. */
  everyS: z.number().min(0.2).max(86_400),
});
export type PollEntry = z.output<typeof PollEntrySchema>;

const PollingSchema = z
  .strictObject({
    pids: z
      .array(PollEntrySchema)
      .max(64)
      .default(() => DEFAULT_POLL_PLAN.map((e) => ({ ...e }))),
    /** Stored, pending and permanent trouble codes; 0 turns reading them off. */
    troubleCodesEveryS: z.number().min(0).max(86_400).default(300),
    /** Adapter supply voltage (ATRV), reported as status.batteryV; 0 turns it off. */
    batteryEveryS: z.number().min(0).max(86_400).default(60),
    /** With the ignition off: how often to try the vehicle again. */
    ignitionCheckEveryS: z.number().min(1).max(3600).default(5),
    /** Upper bound on PIDs per request; the vehicle protocol may allow fewer (1 on legacy buses). */
    maxPidsPerRequest: z.number().int().min(1).max(6).default(6),
    /** Prompt wait per adapter command; slow clones need more than the ELM327's 200 ms. */
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
  })
  .superRefine((polling, ctx) => {
    const seen = new Map<number, number>();
    polling.pids.forEach((entry, index) => {
      const first = seen.get(entry.pid);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pids', index, 'pid'],
          message: `PID 0x${hex2(entry.pid)} is already planned at pids.${first}`,
        });
      } else seen.set(entry.pid, index);
    });
  });

const GpsSchema = z.strictObject({
  /** Keep at most one fix per this many ms (0: every fix at the receiver's rate). */
  minIntervalMs: z.number().int().min(0).max(3_600_000).default(0),
  /** No NMEA for this long: the receiver is silent (reported); after 6x, the port is reopened. */
  silenceTimeoutS: z.number().min(1).max(600).default(5),
});

const ClockSchema = z.strictObject({
  /** System clock and GPS time further apart than this: reported as clock drift. */
  maxDriftMs: z.number().int().min(100).max(86_400_000).default(2000),
});

const StorageSchema = z.strictObject({
  /** Where the outbox (outbox.sqlite) lives. */
  dataDir: z.string().min(1).default('companion-data'),
  /** Disk the outbox may use; past it the thinning policy applies (README: disk bound). */
  maxDiskMb: z.number().min(1).max(1_048_576).default(512),
  /** FULL: a sample survives a power cut once committed. NORMAL: survives a crash, not a power cut. */
  synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /**
   * 0: each device read is committed as soon as it is parsed (one fsync per
   * read). Above 0: samples are committed in groups this often instead, for
   * storage too slow for that; a SIGKILL then loses up to this much.
   */
  commitIntervalMs: z
    .number()
    .int()
    .refine((ms) => ms === 0 || (ms >= 10 && ms <= 10_000), {
      message: 'must be 0 (commit every read) or from 10 to 10000 ms',
    })
    .default(0),
  /** Keep a copy of every sample ever committed (audits and acceptance tests; unbounded). */
  journal: z.boolean().default(false),
});

const UplinkSchema = z.strictObject({
  /** Upper bound per batch; the server's hello may lower it. */
  batchMaxSamples: z.number().int().min(1).max(1000).default(500),
  /** Live samples are sent at most this often (they wait in the outbox meanwhile). */
  sendIntervalMs: z.number().int().min(0).max(60_000).default(1000),
  /** Backlog batches awaiting their ack at once (the live lane adds up to two; the server allows 8). */
  backlogMaxInFlight: z.number().int().min(1).max(6).default(3),
  /** Backlog drain ceiling, so a fleet reconnecting at once does not flood the server. */
  backlogSamplesPerSecond: z.number().int().min(1).max(1_000_000).default(5000),
  ackTimeoutS: z.number().min(1).max(600).default(30),
  connectTimeoutS: z.number().min(1).max(600).default(20),
  reconnectMinS: z.number().min(0.05).max(3600).default(1),
  reconnectMaxS: z.number().min(0.05).max(86_400).default(60),
  /** Another companion took over this token: wait this long before trying again. */
  replacedRetryS: z.number().min(1).max(86_400).default(300),
});

const DeriveSchema = z.strictObject({
  /** A trip starts once the vehicle moves faster than this... */
  tripStartSpeedKmh: z.number().min(1).max(100).default(8),
  /** ...for at least this long. */
  tripStartMinS: z.number().min(0).max(600).default(3),
  /** Below this speed the vehicle counts as standing still. */
  stationarySpeedKmh: z.number().min(0.5).max(30).default(3),
  /** Without an ignition signal (no OBD), a trip ends after standing still this long. */
  tripEndStationaryS: z.number().min(10).max(86_400).default(300),
  /** Engine running and standing still this long is idling. */
  idleAfterS: z.number().min(10).max(86_400).default(120),
  /** Speed-derived acceleration over harshWindowS, m/s². */
  harshAccelerationMs2: z.number().min(0.5).max(15).default(3),
  harshBrakingMs2: z.number().min(0.5).max(20).default(4),
  harshWindowS: z.number().min(0.3).max(5).default(1),
});

const HealthSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (logged); null turns the endpoint off. */
  port: z.number().int().min(0).max(65535).nullable().default(7301),
});

const TOKEN_PATTERN = /^fld_[A-Za-z0-9_-]{43}$/;

const ServerSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a URL such as https://fleet.example' });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        ctx.addIssue({
          code: 'custom',
          message: `must be http:// or https://, not ${url.protocol}`,
        });
      }
      if (url.search || url.hash) {
        ctx.addIssue({ code: 'custom', message: 'must not carry a query or a fragment' });
      }
    }),
  token: z
    .string()
    .superRefine((value, ctx) => {
      if (value.startsWith('fls_')) {
        ctx.addIssue({
          code: 'custom',
          message:
            'is a console session token (fls_…); the companion needs the device token printed by register-vehicle (fld_…)',
        });
      } else if (!TOKEN_PATTERN.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a device token: fld_ followed by 43 characters (from register-vehicle)',
        });
      }
    })
    .optional(),
  /** A file holding the token (kept out of the config and of `ps`). */
  tokenFile: z.string().min(1).optional(),
});

/** Both keys in one source (a higher source's replaces both of a lower one's: see load.ts). */
export const TOKEN_CONFLICT = 'set either server.token or server.tokenFile, not both';

export const CompanionConfigSchema = z
  .strictObject({
    /** A label for logs and the health report (the vehicle's name, say). */
    name: z.string().min(1).max(100).default('companion'),
    server: ServerSchema,
    devices: z
      .strictObject({
        obd: DeviceConfigSchema.default({ transport: 'auto' }),
        gps: DeviceConfigSchema.default({ transport: 'auto' }),
      })
      .default({ obd: { transport: 'auto' }, gps: { transport: 'auto' } }),
    polling: PollingSchema.default(() => PollingSchema.parse({})),
    gps: GpsSchema.default(() => GpsSchema.parse({})),
    clock: ClockSchema.default(() => ClockSchema.parse({})),
    storage: StorageSchema.default(() => StorageSchema.parse({})),
    uplink: UplinkSchema.default(() => UplinkSchema.parse({})),
    derive: DeriveSchema.default(() => DeriveSchema.parse({})),
    health: HealthSchema.default(() => HealthSchema.parse({})),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),
  })
  .superRefine((config, ctx) => {
    if (config.uplink.reconnectMaxS < config.uplink.reconnectMinS) {
      ctx.addIssue({
        code: 'custom',
        path: ['uplink', 'reconnectMaxS'],
        message: 'must not be smaller than uplink.reconnectMinS',
      });
    }
    if (config.server.token === undefined && config.server.tokenFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'token'],
        message:
          'is missing: set server.token or server.tokenFile, FLEETLINE_DEVICE_TOKEN, or --token-file',
      });
    }
    if (config.server.token !== undefined && config.server.tokenFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'tokenFile'],
        message: TOKEN_CONFLICT,
      });
    }
  });

/** The configuration as validated: every default applied; the token resolved. */
export type CompanionConfig = z.output<typeof CompanionConfigSchema> & {
  server: { token: string };
};
export type CompanionConfigInput = z.input<typeof CompanionConfigSchema>;
export type DeriveConfig = CompanionConfig['derive'];
export type PollingConfig = CompanionConfig['polling'];
export type UplinkConfig = CompanionConfig['uplink'];
export type StorageConfig = CompanionConfig['storage'];

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
