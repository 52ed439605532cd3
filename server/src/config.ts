import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_MAX_BATCH_SAMPLES } from '@fleetline/protocol';
import type { ApiTimeouts } from './db/database.js';
import type { IngestTimeouts } from './db/pg-thread/client.js';

/** The origin of the desktop console's bundled renderer (its own privileged scheme). */
export const DESKTOP_CONSOLE_ORIGIN = 'fleetline://app';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * An integer setting: decimal digits only. Number() would also take ' 80',
 * '0x10' or '1e3', which hide typos and surprise whoever reads the value.
 */
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Every setting, from the environment. Documented in README.md (Configuration). */
const EnvSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for the embedded SQLite)')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lower-case PostgreSQL identifier')
    .optional(),
  DATA_DIR: z.string().min(1).default('data'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  OFFLINE_AFTER_S: int(5, 86_400).default(120),
  OVERSPEED_MIN_S: int(0, 600).default(3),
  INGEST_FLUSH_MS: int(1, 5_000).default(20),
  INGEST_MAX_PENDING_SAMPLES: int(100, 1_000_000).default(200_000),
  MAX_BATCH_SAMPLES: int(1, DEFAULT_MAX_BATCH_SAMPLES).default(DEFAULT_MAX_BATCH_SAMPLES),
  MAX_CLOCK_SKEW_S: int(0, 86_400).default(300),
  TELEMETRY_RETENTION_DAYS: int(0, 36_500).default(0),
  EVENT_RETENTION_DAYS: int(0, 36_500).default(0),
  CONSOLE_FLUSH_MS: int(10, 10_000).default(50),
  SESSION_TTL_H: int(1, 24 * 90).default(12),
  PASSWORD_HASH_COST: int(10, 20).default(17),
  STATS_INTERVAL_S: int(0, 3600).default(60),
  CONSOLE_DIR: z.string().min(1).optional(),
  CORS_ORIGINS: z.string().default(DESKTOP_CONSOLE_ORIGIN),
  TRUST_PROXY: z
    .string()
    .transform((value, ctx): TrustProxy => {
      const parsed = parseTrustProxy(value);
      if (parsed === undefined)
        ctx.addIssue({
          code: 'custom',
          message:
            'must be true, false, a number of proxy hops, or a comma-separated list of addresses, subnets (10.0.0.0/8) or loopback, linklocal, uniquelocal',
        });
      return parsed ?? false;
    })
    .optional(),
  MAPBOX_TOKEN: z.string().min(1).optional(),
  MAP_STYLE_URL: z.url({ message: 'must be a URL' }).optional(),
});

/**
 * Which reverse proxies are believed when they say, in X-Forwarded-*, who the
 * client is and that it came over HTTPS (Express's `trust proxy`).
 */
export type TrustProxy = boolean | number | string[];

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string): TrustProxy | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const items = text.split(',').map((item) => item.trim());
  const valid = items.every((item) => {
    if (PROXY_KEYWORDS.has(item)) return true;
    const [address = '', prefix, ...rest] = item.split('/');
    const family = net.isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  });
  return valid ? items : undefined;
}

export type DatabaseConfig =
  | { kind: 'sqlite'; filename: string; synchronous: 'FULL' | 'NORMAL' }
  | {
      kind: 'postgres';
      url: string;
      schema: string | undefined;
      /** The ingest connection's timeouts, in ms (defaults in db/pg-thread/client.ts); not settable from the environment. */
      ingestTimeouts?: Partial<IngestTimeouts>;
      /** The API pool's timeouts, in ms (defaults in db/database.ts); not settable from the environment. */
      apiTimeouts?: Partial<ApiTimeouts>;
    };

/**
 * How long stored history is kept; null keeps it for good. Samples older than
 * this are refused at ingest, and an hourly sweep deletes what has aged out.
 */
export interface RetentionConfig {
  /** Positions, OBD-II readings, trouble-code reports and device statuses. */
  telemetryMs: number | null;
  /** Fleet events (presence, overspeed, ignition, codes, trips...) and the companions' driving events. */
  eventsMs: number | null;
}

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  offlineAfterMs: number;
  overspeedMinMs: number;
  ingestFlushMs: number;
  ingestMaxPendingSamples: number;
  maxBatchSamples: number;
  maxClockSkewMs: number;
  retention: RetentionConfig;
  consoleFlushMs: number;
  sessionTtlMs: number;
  /** log2 of the scrypt cost parameter N for new password hashes. */
  passwordHashCost: number;
  /** How often runtime stats are logged; 0 turns them off. */
  statsIntervalMs: number;
  /** Directory of the console's web build, served at /console; null when it is not built. */
  consoleDir: string | null;
  /** Origins (besides the server's own) whose pages may call the API: the desktop console by default. */
  corsOrigins: string[];
  /** Reverse proxies whose X-Forwarded-For/-Proto are believed; false: none. */
  trustProxy: TrustProxy;
  /** Map settings handed to consoles (GET /api/config). */
  map: { mapboxToken: string | null; styleUrl: string | null };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.INGEST_MAX_PENDING_SAMPLES < e.MAX_BATCH_SAMPLES) {
    // Beyond the pending limit batches are refused; one larger than the limit would be refused for good.
    throw new ConfigError([
      `INGEST_MAX_PENDING_SAMPLES: must be at least MAX_BATCH_SAMPLES (${e.MAX_BATCH_SAMPLES}), or a full batch is never accepted`,
    ]);
  }
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA }
      : {
          kind: 'sqlite',
          filename: path.join(dataDir, 'fleetline.sqlite'),
          synchronous: e.SQLITE_SYNCHRONOUS,
        },
    logLevel: e.LOG_LEVEL,
    offlineAfterMs: e.OFFLINE_AFTER_S * 1000,
    overspeedMinMs: e.OVERSPEED_MIN_S * 1000,
    ingestFlushMs: e.INGEST_FLUSH_MS,
    ingestMaxPendingSamples: e.INGEST_MAX_PENDING_SAMPLES,
    maxBatchSamples: e.MAX_BATCH_SAMPLES,
    maxClockSkewMs: e.MAX_CLOCK_SKEW_S * 1000,
    retention: {
      telemetryMs: days(e.TELEMETRY_RETENTION_DAYS),
      eventsMs: days(e.EVENT_RETENTION_DAYS),
    },
    consoleFlushMs: e.CONSOLE_FLUSH_MS,
    sessionTtlMs: e.SESSION_TTL_H * 3600 * 1000,
    passwordHashCost: e.PASSWORD_HASH_COST,
    statsIntervalMs: e.STATS_INTERVAL_S * 1000,
    consoleDir: e.CONSOLE_DIR ? path.resolve(e.CONSOLE_DIR) : defaultConsoleDir(),
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: e.TRUST_PROXY ?? false,
    map: { mapboxToken: e.MAPBOX_TOKEN ?? null, styleUrl: e.MAP_STYLE_URL ?? null },
  };
}

/** A retention in days as milliseconds; 0 means "keep for good". */
function days(n: number): number | null {
  return n === 0 ? null : n * 86_400_000;
}

/** The console's web build in this checkout (console/dist/web), when it has been built. */
function defaultConsoleDir(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'console', 'dist', 'web');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  return null;
}
