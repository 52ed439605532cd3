import fs from 'node:fs';
import { BleTransport, discoverBleAdapters, loadNoble } from '@fleetline/hardware';
import type { BleAdapterFound, NobleLike } from '@fleetline/hardware';
import { parseDeviceSpec } from '../config/device-spec.js';
import type { DeviceRole } from '../devices/endpoints.js';
import { askElm327, probeSerialPort, probeTcp } from '../devices/probe.js';
import type { ProbeOptions, ProbeResult } from '../devices/probe.js';
import { listSerialCandidates } from '../devices/serial-ports.js';
import type { CompanionStatus } from '../health/status.js';
import { messageOf, typeOf } from '../util/logger.js';
import type { ParsedCommand } from './commands.js';
import { UsageError } from './commands.js';
import type { CliIo } from './io.js';
import { runningCompanion } from './running.js';

export interface Found {
  where: string;
  transport: 'serial' | 'tcp' | 'ble';
  /** What it is: elm327, gps, in use, nothing, unavailable. */
  kind: 'elm327' | 'gps' | 'in_use' | 'unknown' | 'unavailable' | 'not_probed';
  detail: string;
  /** The configuration line that would use it. */
  use: string | null;
}

/** A device a running companion has open, from its health report. */
export type HeldDevice =
  | { transport: 'serial'; path: string }
  | { transport: 'tcp'; host: string; port: number }
  /** target: the configured address or name; null for "any adapter". */
  | { transport: 'ble'; target: string | null };

export interface ScanOptions {
  /** Where to look for serial ports (tests point it at a directory of pty links). */
  devDir?: string;
  tcpTargets: readonly { host: string; port: number }[];
  /** False: list, open nothing. */
  probe: boolean;
  /** The Bluetooth LE central to scan with; null skips Bluetooth. */
  ble: (() => Promise<NobleLike>) | null;
  bleScanMs?: number;
  /** The running companion and what it holds: listed, never opened. */
  running: { pid: number; devices: readonly HeldDevice[] } | null;
  serialProbe?: ProbeOptions;
  tcpTimeoutMs?: number;
}

/** `scan`: what is plugged in, and how to configure it. */
export async function scan(io: CliIo, parsed: ParsedCommand): Promise<number> {
  const v = parsed.values;
  const json = v.json === true;
  const targets = ((v.tcp as string[] | undefined) ?? []).map(parseTarget);
  if (v['no-network'] !== true) targets.unshift({ host: '192.168.0.10', port: 35000 });
  const healthPort = typeof v['health-port'] === 'string' ? Number(v['health-port']) : 7301;
  if (!Number.isInteger(healthPort) || healthPort < 1 || healthPort > 65535) {
    throw new UsageError('scan: --health-port must be a port number');
  }
  const running = await runningCompanion('127.0.0.1', healthPort);
  const results = await scanDevices({
    tcpTargets: targets,
    probe: v['no-probe'] !== true,
    ble: v['no-ble'] === true ? null : loadNoble,
    running: running ? { pid: running.pid, devices: heldDevices(running) } : null,
  });

  if (json) {
    io.out(
      JSON.stringify(
        {
          runningCompanion: running ? { pid: running.pid, name: running.name } : null,
          devices: results,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (running)
    io.out(`A companion is running (pid ${running.pid}); its devices are listed, not probed.\n`);
  const sections: [string, Found['transport']][] = [
    ['Serial ports', 'serial'],
    ['Wi-Fi adapters', 'tcp'],
    ['Bluetooth LE', 'ble'],
  ];
  for (const [title, transport] of sections) {
    const rows = results.filter((r) => r.transport === transport);
    if (transport !== 'serial' && rows.length === 0) continue;
    io.out(`${title}:`);
    if (rows.length === 0)
      io.out('  none (no /dev/ttyUSB*, /dev/ttyACM*, /dev/rfcomm* or /dev/serial/by-id/*)');
    for (const row of rows) {
      io.out(`  ${row.where}`);
      io.out(`      ${label(row)}`);
      if (row.use) io.out(`      use: --${row.kind === 'gps' ? 'gps' : 'obd'} ${row.use}`);
    }
  }
  return 0;
}

/**
 * Lists serial ports, Wi-Fi targets and Bluetooth LE adapters and, unless
 * told not to, probes each safely (probe.ts). What a running companion holds
 * is listed as in use and never opened: a probe would garble its traffic.
 */
export async function scanDevices(options: ScanOptions): Promise<Found[]> {
  const held = options.running?.devices ?? [];
  const inUse = `in use by the running companion (pid ${options.running?.pid ?? '?'})`;
  const heldSerial = held
    .filter((d): d is Extract<HeldDevice, { transport: 'serial' }> => d.transport === 'serial')
    .flatMap((d) => [d.path, realPath(d.path)]);
  const results: Found[] = [];

  for (const candidate of await listSerialCandidates(options.devDir)) {
    const where =
      candidate.path === candidate.realPath
        ? candidate.path
        : `${candidate.path} (${candidate.realPath})`;
    // Whole paths only: /dev/ttyUSB1 must not pass for /dev/ttyUSB10.
    if (heldSerial.includes(candidate.path) || heldSerial.includes(candidate.realPath)) {
      results.push({ where, transport: 'serial', kind: 'in_use', detail: inUse, use: null });
      continue;
    }
    if (!options.probe) {
      results.push({
        where,
        transport: 'serial',
        kind: 'not_probed',
        detail: candidate.id ?? '',
        use: null,
      });
      continue;
    }
    const prefer = candidate.hint === 'obd' ? 'elm327' : candidate.hint === 'gps' ? 'gps' : null;
    results.push(
      describe(
        where,
        'serial',
        await probeSerialPort(candidate.path, { ...options.serialProbe, prefer }),
        (r) => `serial:${candidate.path}@${r.baudRate}`,
      ),
    );
  }
  if (!options.probe) return results;

  for (const target of options.tcpTargets) {
    const where = `${target.host}:${target.port}`;
    if (held.some((d) => d.transport === 'tcp' && sameTcp(d, target))) {
      results.push({ where, transport: 'tcp', kind: 'in_use', detail: inUse, use: null });
      continue;
    }
    results.push(
      describe(
        where,
        'tcp',
        await probeTcp(target.host, target.port, options.tcpTimeoutMs),
        () => `tcp:${where}`,
      ),
    );
  }
  if (options.ble) {
    const heldBle = held.filter(
      (d): d is Extract<HeldDevice, { transport: 'ble' }> => d.transport === 'ble',
    );
    results.push(...(await scanBle(options.ble, options.bleScanMs ?? 5000, heldBle, inUse)));
  }
  return results;
}

/** What a running companion holds, from the device labels in its health report. */
export function heldDevices(status: Pick<CompanionStatus, 'devices'>): HeldDevice[] {
  const held: HeldDevice[] = [];
  for (const role of ['obd', 'gps'] as const) {
    const device = heldDevice(role, status.devices[role].device);
    if (device) held.push(device);
  }
  return held;
}

/**
 * Reads an endpoint label back: `serial:/dev/ttyUSB0@38400`, `tcp:host[:port]`,
 * `ble[:target]`, or `auto: serial:… (ELM327 v1.5)` once auto-detection found
 * one. Null for `auto (… not found yet)` and anything unreadable.
 */
export function heldDevice(role: DeviceRole, label: string | null): HeldDevice | null {
  if (!label || label.startsWith('auto (')) return null;
  const text = (label.startsWith('auto: ') ? label.slice('auto: '.length) : label).replace(
    / \(.*\)$/,
    '',
  );
  const spec = parseDeviceSpec(text);
  if ('error' in spec) return null;
  switch (spec.transport) {
    case 'serial':
      return { transport: 'serial', path: spec.path };
    case 'tcp':
      // The ports endpointFor uses when the configuration names none.
      return {
        transport: 'tcp',
        host: spec.host,
        port: spec.port ?? (role === 'obd' ? 35000 : 10110),
      };
    case 'ble':
      return { transport: 'ble', target: spec.address ?? spec.name ?? null };
    default:
      return null;
  }
}

async function scanBle(
  load: () => Promise<NobleLike>,
  scanMs: number,
  held: readonly Extract<HeldDevice, { transport: 'ble' }>[],
  inUse: string,
): Promise<Found[]> {
  let noble: NobleLike;
  let adapters: BleAdapterFound[];
  try {
    noble = await load();
    adapters = await discoverBleAdapters(noble, scanMs);
  } catch (error) {
    return [
      {
        where: 'Bluetooth LE',
        transport: 'ble',
        kind: 'unavailable',
        detail: messageOf(error),
        use: null,
      },
    ];
  }
  if (adapters.length === 0) {
    return [
      {
        where: 'Bluetooth LE',
        transport: 'ble',
        kind: 'unknown',
        detail: `no OBD adapter advertising within ${Math.round(scanMs / 1000)} s`,
        use: null,
      },
    ];
  }
  const results: Found[] = [];
  for (const adapter of adapters) {
    const where = `${adapter.address}${adapter.name ? ` (${adapter.name})` : ''}`;
    const holder = held.find((d) => d.target === null || bleMatches(d.target, adapter));
    if (holder) {
      results.push({
        where,
        transport: 'ble',
        kind: holder.target === null ? 'not_probed' : 'in_use',
        detail:
          holder.target === null
            ? 'the running companion uses a Bluetooth LE adapter (ble, any) without saying which: not probed'
            : inUse,
        use: null,
      });
      continue;
    }
    results.push(await probeBle(noble, adapter, where, scanMs));
  }
  return results;
}

async function probeBle(
  noble: NobleLike,
  adapter: BleAdapterFound,
  where: string,
  scanMs: number,
): Promise<Found> {
  const transport = new BleTransport({
    peripheral: adapter.peripheral.id,
    noble,
    scanTimeoutMs: scanMs,
  });
  try {
    await transport.open();
  } catch (error) {
    return {
      where,
      transport: 'ble',
      kind: typeOf(error) === 'ble_device_not_found' ? 'unknown' : 'unavailable',
      detail: messageOf(error),
      use: null,
    };
  }
  try {
    const version = await askElm327(transport, 2000);
    return {
      where,
      transport: 'ble',
      kind: version ? 'elm327' : 'unknown',
      detail: version || 'connected, but no ELM327 answer',
      use: version ? `ble:${adapter.address}` : null,
    };
  } finally {
    await transport.close().catch(() => undefined);
  }
}

function bleMatches(target: string, adapter: BleAdapterFound): boolean {
  const wanted = target.toLowerCase();
  return (
    adapter.address.toLowerCase() === wanted ||
    adapter.peripheral.id.toLowerCase() === wanted ||
    // A configured name matches as BleTransport matches it: part of the advertised name.
    (adapter.name?.toLowerCase().includes(wanted) ?? false)
  );
}

function sameTcp(
  held: Extract<HeldDevice, { transport: 'tcp' }>,
  target: { host: string; port: number },
): boolean {
  return held.host.toLowerCase() === target.host.toLowerCase() && held.port === target.port;
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function describe(
  where: string,
  transport: Found['transport'],
  result: ProbeResult,
  use: (r: ProbeResult) => string,
): Found {
  if (result.kind === 'elm327' || result.kind === 'gps') {
    return {
      where,
      transport,
      kind: result.kind,
      detail: `${result.detail}${result.baudRate ? ` at ${result.baudRate} baud` : ''}`,
      use: use(result),
    };
  }
  return {
    where,
    transport,
    kind:
      result.error &&
      /cannot open|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|no connection/i.test(result.error)
        ? 'unavailable'
        : 'unknown',
    detail: result.error ?? 'no ELM327 answer and no NMEA at any usual baud rate',
    use: null,
  };
}

function label(row: Found): string {
  switch (row.kind) {
    case 'elm327':
      return `OBD-II adapter: ${row.detail}`;
    case 'gps':
      return `GPS receiver: ${row.detail}`;
    case 'in_use':
      return row.detail;
    case 'not_probed':
      return `not probed${row.detail ? ` (${row.detail})` : ''}`;
    case 'unavailable':
      return `${row.transport === 'ble' ? 'unavailable' : 'not reachable'}: ${row.detail}`;
    default:
      return `not recognised: ${row.detail}`;
  }
}

function parseTarget(text: string): { host: string; port: number } {
  const match = /^([^:]+):(\d{1,5})$/.exec(text);
  if (!match?.[1] || !match[2] || Number(match[2]) > 65535) {
    throw new UsageError(`scan: --tcp expects HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: match[1], port: Number(match[2]) };
}
