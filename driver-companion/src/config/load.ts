import fs from 'node:fs';
import path from 'node:path';
import { CompanionConfigSchema, LOG_LEVELS, TOKEN_CONFLICT } from './schema.js';
import type { CompanionConfig } from './schema.js';
import { parseDeviceSpec } from './device-spec.js';

/** One thing wrong with the configuration: where, why, and which source said so. */
export interface ConfigProblem {
  /** Dotted path in the configuration, e.g. `devices.obd.baudRate`. */
  path: string;
  message: string;
  /** `config file /etc/…`, `env FLEETLINE_OBD`, `flag --obd`, or `default`. */
  source: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path ? `${problem.path}: ` : '';
  return `${where}${problem.message} (${problem.source})`;
}

/** Command-line settings; each overrides the environment and the file. */
export interface ConfigFlags {
  config?: string;
  name?: string;
  server?: string;
  token?: string;
  tokenFile?: string;
  dataDir?: string;
  obd?: string;
  gps?: string;
  logLevel?: string;
  healthPort?: string;
}

export interface ConfigSources {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Applied last, by programs rather than people (the demo fleet, `simulate`). */
  overrides?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** The sources in rising precedence; env and flags are one tier each, of one layer per setting. */
type Tier = 'systemd' | 'file' | 'env' | 'flags' | 'overrides';

interface Layer {
  source: string;
  tier: Tier;
  values: Json;
  /** Relative paths in this layer resolve against this directory. */
  baseDir: string;
}

/** Environment variables and the configuration path each sets. */
const ENV_SETTINGS: readonly { name: string; path: string[]; parse: Parser }[] = [
  { name: 'FLEETLINE_NAME', path: ['name'], parse: text },
  { name: 'FLEETLINE_SERVER_URL', path: ['server', 'url'], parse: text },
  { name: 'FLEETLINE_DEVICE_TOKEN', path: ['server', 'token'], parse: text },
  { name: 'FLEETLINE_DEVICE_TOKEN_FILE', path: ['server', 'tokenFile'], parse: text },
  { name: 'FLEETLINE_DATA_DIR', path: ['storage', 'dataDir'], parse: text },
  { name: 'FLEETLINE_MAX_DISK_MB', path: ['storage', 'maxDiskMb'], parse: number },
  { name: 'FLEETLINE_OBD', path: ['devices', 'obd'], parse: device },
  { name: 'FLEETLINE_GPS', path: ['devices', 'gps'], parse: device },
  { name: 'FLEETLINE_LOG_LEVEL', path: ['log', 'level'], parse: logLevel },
  { name: 'FLEETLINE_HEALTH_PORT', path: ['health', 'port'], parse: port },
];

const FLAG_SETTINGS: readonly {
  flag: keyof ConfigFlags;
  name: string;
  path: string[];
  parse: Parser;
}[] = [
  { flag: 'name', name: '--name', path: ['name'], parse: text },
  { flag: 'server', name: '--server', path: ['server', 'url'], parse: text },
  { flag: 'token', name: '--token', path: ['server', 'token'], parse: text },
  { flag: 'tokenFile', name: '--token-file', path: ['server', 'tokenFile'], parse: text },
  { flag: 'dataDir', name: '--data-dir', path: ['storage', 'dataDir'], parse: text },
  { flag: 'obd', name: '--obd', path: ['devices', 'obd'], parse: device },
  { flag: 'gps', name: '--gps', path: ['devices', 'gps'], parse: device },
  { flag: 'logLevel', name: '--log-level', path: ['log', 'level'], parse: logLevel },
  { flag: 'healthPort', name: '--health-port', path: ['health', 'port'], parse: port },
];

/**
 * Builds the configuration from, in rising precedence: defaults, systemd's
 * directories, the file (--config or FLEETLINE_CONFIG), the environment,
 * the flags and programmatic overrides. Every problem of every source is
 * collected before one ConfigError reports them all.
 */
export function loadConfig(sources: ConfigSources = {}): CompanionConfig {
  const { env, cwd, problems, merged, origins, sourceOf } = mergeSources(sources);

  // One token: a file named by the config, or systemd's LoadCredential=device-token.
  const server = (merged.server ?? {}) as Json;
  if (server.token === undefined && server.tokenFile === undefined && env.CREDENTIALS_DIRECTORY) {
    const credential = path.join(env.CREDENTIALS_DIRECTORY, 'device-token');
    if (fs.existsSync(credential)) {
      setPath(merged, ['server', 'tokenFile'], credential);
      origins.set('server.tokenFile', {
        source: 'systemd credential',
        tier: 'systemd',
        values: {},
        baseDir: cwd,
      });
    }
  }
  let tokenFromFile: string | undefined;
  if (typeof server.tokenFile === 'string' && server.tokenFile) {
    const file = path.resolve(baseDirOf(origins, 'server.tokenFile', cwd), server.tokenFile);
    try {
      tokenFromFile = fs.readFileSync(file, 'utf8').trim();
      if (!tokenFromFile) {
        problems.push({
          path: 'server.tokenFile',
          message: `${file} is empty`,
          source: sourceOf('server.tokenFile'),
        });
      }
    } catch (error) {
      problems.push({
        path: 'server.tokenFile',
        message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        source: sourceOf('server.tokenFile'),
      });
    }
  }

  const parsed = CompanionConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const dotted = issue.path.map(String).join('.');
      // A missing value was set nowhere; blaming the source of its parent object would mislead.
      const missing = getPath(merged, issue.path.map(String)) === undefined;
      const source =
        issue.message === TOKEN_CONFLICT
          ? [...new Set([sourceOf('server.token'), sourceOf('server.tokenFile')])].join(' and ')
          : sourceOf(dotted);
      problems.push({
        path: dotted,
        message: issue.message,
        source: missing ? 'not set anywhere' : source,
      });
    }
  }
  if (parsed.success && tokenFromFile) {
    const check = CompanionConfigSchema.shape.server.shape.token.safeParse(tokenFromFile);
    if (!check.success) {
      problems.push({
        path: 'server.tokenFile',
        message: `the file's content ${check.error.issues[0]?.message ?? 'is not a device token'}`,
        source: sourceOf('server.tokenFile'),
      });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const config = parsed.data;
  config.storage.dataDir = path.resolve(
    baseDirOf(origins, 'storage.dataDir', cwd),
    config.storage.dataDir,
  );
  const token = config.server.token ?? tokenFromFile;
  if (token === undefined) {
    // The schema already insists on one of the two; this keeps the type honest.
    throw new ConfigError([{ path: 'server.token', message: 'is missing', source: 'default' }]);
  }
  return { ...config, server: { ...config.server, token } };
}

/** The sources layered and merged, before any check of the result. */
interface MergedSources {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Problems of the sources themselves: a file that cannot be read, a flag that cannot be parsed. */
  problems: ConfigProblem[];
  merged: Json;
  origins: Map<string, Layer>;
  sourceOf: (dotted: string) => string;
}

function mergeSources(sources: ConfigSources): MergedSources {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const flags = sources.flags ?? {};
  const problems: ConfigProblem[] = [];
  const layers: Layer[] = [];

  // systemd hands the unit its state directory and credentials; use them as defaults.
  const platform: Json = {};
  if (env.STATE_DIRECTORY) setPath(platform, ['storage', 'dataDir'], env.STATE_DIRECTORY);
  layers.push({ source: 'systemd environment', tier: 'systemd', values: platform, baseDir: cwd });

  const configPath = flags.config ?? nonEmpty(env.FLEETLINE_CONFIG);
  if (configPath) {
    const file = path.resolve(cwd, configPath);
    const source = `config file ${file}`;
    const values = readConfigFile(file, source, problems);
    if (values) layers.push({ source, tier: 'file', values, baseDir: path.dirname(file) });
  }

  // One layer per variable and per flag, so every problem names the exact source.
  for (const setting of ENV_SETTINGS) {
    const raw = nonEmpty(env[setting.name]);
    if (raw === undefined) continue;
    addSetting(
      layers,
      problems,
      setting.path,
      setting.parse(raw),
      `env ${setting.name}`,
      'env',
      cwd,
    );
  }
  for (const setting of FLAG_SETTINGS) {
    const raw = flags[setting.flag];
    if (raw === undefined) continue;
    addSetting(
      layers,
      problems,
      setting.path,
      setting.parse(raw),
      `flag ${setting.name}`,
      'flags',
      cwd,
    );
  }
  if (sources.overrides)
    layers.push({
      source: 'overrides',
      tier: 'overrides',
      values: sources.overrides,
      baseDir: cwd,
    });

  const origins = new Map<string, Layer>();
  const merged: Json = {};
  for (const layer of oneTokenSource(layers)) mergeInto(merged, layer.values, [], layer, origins);
  const sourceOf = (dotted: string): string => layerOf(origins, dotted)?.source ?? 'default';
  return { env, cwd, problems, merged, origins, sourceOf };
}

/**
 * Only where the data directory is (and the name, for the lock), from the
 * same sources with the same precedence as loadConfig, for commands that
 * need nothing else (forget-refusal): the rest of the configuration may be
 * invalid. Throws a ConfigError when the sources do not say where it is: a
 * configuration file that cannot be read might have set it, unless the
 * environment or a flag, which take precedence, did.
 */
export function loadDataDir(sources: ConfigSources = {}): { dataDir: string; name: string } {
  const { cwd, problems, merged, origins, sourceOf } = mergeSources(sources);
  const origin = layerOf(origins, 'storage.dataDir');
  const setAboveFile = origin !== undefined && origin.tier !== 'systemd' && origin.tier !== 'file';
  const unreadFile = problems.filter((p) => p.path === '' && p.source.startsWith('config file '));
  if (unreadFile.length > 0 && !setAboveFile) throw new ConfigError(unreadFile);
  const storage = merged.storage;
  if (storage !== undefined && !isPlainObject(storage)) {
    throw new ConfigError([
      { path: 'storage', message: 'expected an object', source: sourceOf('storage') },
    ]);
  }
  const dataDirSchema = CompanionConfigSchema.shape.storage.unwrap().shape.dataDir;
  const dataDir = dataDirSchema.safeParse(storage?.dataDir);
  if (!dataDir.success) {
    throw new ConfigError(
      dataDir.error.issues.map((issue) => ({
        path: 'storage.dataDir',
        message: issue.message,
        source: sourceOf('storage.dataDir'),
      })),
    );
  }
  const name = CompanionConfigSchema.shape.name.safeParse(merged.name);
  return {
    dataDir: path.resolve(baseDirOf(origins, 'storage.dataDir', cwd), dataDir.data),
    name: name.success ? name.data : 'companion',
  };
}

function addSetting(
  layers: Layer[],
  problems: ConfigProblem[],
  keys: readonly string[],
  parsed: Parsed,
  source: string,
  tier: Tier,
  cwd: string,
): void {
  if ('error' in parsed) {
    problems.push({ path: keys.join('.'), message: parsed.error, source });
    return;
  }
  const values: Json = {};
  setPath(values, keys, parsed.value);
  layers.push({ source, tier, values, baseDir: cwd });
}

/**
 * server.token and server.tokenFile are two ways of saying one thing: the
 * highest tier that says it decides, and both keys of every lower tier are
 * dropped (a token file in the config file and FLEETLINE_DEVICE_TOKEN is
 * the variable's token). Both keys within one tier stay, for the schema to
 * refuse, naming that tier.
 */
function oneTokenSource(layers: readonly Layer[]): Layer[] {
  const setsToken = (layer: Layer): boolean => {
    const server = layer.values.server;
    return isPlainObject(server) && (server.token !== undefined || server.tokenFile !== undefined);
  };
  const top = layers.filter(setsToken).at(-1)?.tier;
  return layers.map((layer) => {
    if (layer.tier === top || !setsToken(layer)) return layer;
    const values = structuredClone(layer.values);
    const server = values.server as Json;
    delete server.token;
    delete server.tokenFile;
    return { ...layer, values };
  });
}

function readConfigFile(file: string, source: string, problems: ConfigProblem[]): Json | null {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      path: '',
      message:
        code === 'ENOENT' ? 'the file does not exist' : `cannot read it (${code ?? String(error)})`,
      source,
    });
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    problems.push({
      path: '',
      message: `not valid JSON: ${describeJsonError(error, content)}`,
      source,
    });
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path: '', message: 'must hold a JSON object', source });
    return null;
  }
  return value as Json;
}

/** JSON.parse says "position 123"; people want a line and a column. */
function describeJsonError(error: unknown, content: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /position (\d+)/.exec(message);
  if (!match?.[1]) return message;
  const offset = Number(match[1]);
  const before = content.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

function mergeInto(
  target: Json,
  source: Json,
  at: string[],
  layer: Layer,
  origins: Map<string, Layer>,
): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...at, key];
    const existing = target[key];
    // A device is replaced whole: switching from serial to tcp must not keep `path`.
    const replaceWhole = here.length === 2 && here[0] === 'devices';
    if (isPlainObject(value) && isPlainObject(existing) && !replaceWhole) {
      mergeInto(existing, value, here, layer, origins);
    } else {
      target[key] = isPlainObject(value) ? structuredClone(value) : value;
      origins.set(here.join('.'), layer);
      for (const known of [...origins.keys()]) {
        if (known.startsWith(`${here.join('.')}.`)) origins.set(known, layer);
      }
    }
  }
}

/** The layer that set a value, or the object holding it. */
function layerOf(origins: Map<string, Layer>, dotted: string): Layer | undefined {
  for (let parts = dotted.split('.'); parts.length > 0; parts = parts.slice(0, -1)) {
    const layer = origins.get(parts.join('.'));
    if (layer) return layer;
  }
  return undefined;
}

function baseDirOf(origins: Map<string, Layer>, dotted: string, cwd: string): string {
  return layerOf(origins, dotted)?.baseDir ?? cwd;
}

function setPath(target: Json, keys: readonly string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Json;
  }
  const last = keys.at(-1);
  if (last !== undefined) node[last] = value;
}

function getPath(target: unknown, keys: readonly string[]): unknown {
  let node = target;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

type Parsed = { value: unknown } | { error: string };
type Parser = (raw: string) => Parsed;

function text(raw: string): Parsed {
  return { value: raw };
}

function number(raw: string): Parsed {
  const value = Number(raw);
  return raw.trim() !== '' && Number.isFinite(value)
    ? { value }
    : { error: `expected a number, got ${JSON.stringify(raw)}` };
}

function port(raw: string): Parsed {
  if (raw === 'off' || raw === 'none') return { value: null };
  const value = Number(raw);
  return /^\d+$/.test(raw) && value <= 65535
    ? { value }
    : { error: `expected a port 0-65535 (0: any free port) or "off", got ${JSON.stringify(raw)}` };
}

function logLevel(raw: string): Parsed {
  return (LOG_LEVELS as readonly string[]).includes(raw)
    ? { value: raw }
    : { error: `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}` };
}

function device(raw: string): Parsed {
  const parsed = parseDeviceSpec(raw);
  return 'error' in parsed ? parsed : { value: parsed };
}
