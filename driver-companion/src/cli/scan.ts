import { BleTransport } from '@fleetline/hardware';
import { askElm327, probeSerialPort, probeTcp } from '../devices/probe.js';
import type { ProbeResult } from '../devices/probe.js';
import { listSerialCandidates } from '../devices/serial-ports.js';
import { messageOf, typeOf } from '../util/logger.js';
import type { ParsedCommand } from './commands.js';
import { UsageError } from './commands.js';
import type { CliIo } from './io.js';
import { runningCompanion } from './running.js';

interface Found {
  where: string;
  transport: 'serial' | 'tcp' | 'ble';
  /** What it is: elm327, gps, in use, nothing, unavailable. */
  kind: 'elm327' | 'gps' | 'in_use' | 'unknown' | 'unavailable' | 'not_probed';
  detail: string;
  /** The configuration line that would use it. */
  use: string | null;
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
  const held = running
    ? [running.devices.obd.device, running.devices.gps.device].filter(
        (d): d is string => d !== null,
      )
    : [];
  const results: Found[] = [];

  for (const candidate of await listSerialCandidates()) {
    const where =
      candidate.path === candidate.realPath
        ? candidate.path
        : `${candidate.path} (${candidate.realPath})`;
    if (held.some((d) => d.includes(candidate.path) || d.includes(candidate.realPath))) {
      results.push({
        where,
        transport: 'serial',
        kind: 'in_use',
        detail: `in use by the running companion (pid ${running?.pid})`,
        use: null,
      });
      continue;
    }
    if (v['no-probe'] === true) {
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
        await probeSerialPort(candidate.path, { prefer }),
        (r) => `serial:${candidate.path}@${r.baudRate}`,
      ),
    );
  }
  if (v['no-probe'] !== true) {
    for (const target of targets) {
      const where = `${target.host}:${target.port}`;
      results.push(
        describe(where, 'tcp', await probeTcp(target.host, target.port), () => `tcp:${where}`),
      );
    }
    if (v['no-ble'] !== true) results.push(await scanBle());
  }

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

async function scanBle(): Promise<Found> {
  const transport = new BleTransport({ scanTimeoutMs: 5000 });
  try {
    await transport.open();
  } catch (error) {
    const type = typeOf(error);
    return {
      where: 'Bluetooth LE',
      transport: 'ble',
      kind: type === 'ble_device_not_found' ? 'unknown' : 'unavailable',
      detail: messageOf(error),
      use: null,
    };
  }
  try {
    const version = await askElm327(transport, 2000);
    return {
      where: transport.description,
      transport: 'ble',
      kind: version ? 'elm327' : 'unknown',
      detail: version || 'connected, but no ELM327 answer',
      use: version ? transport.description : null,
    };
  } finally {
    await transport.close().catch(() => undefined);
  }
}

function parseTarget(text: string): { host: string; port: number } {
  const match = /^([^:]+):(\d{1,5})$/.exec(text);
  if (!match?.[1] || !match[2] || Number(match[2]) > 65535) {
    throw new UsageError(`scan: --tcp expects HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: match[1], port: Number(match[2]) };
}
