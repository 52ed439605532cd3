import fs from 'node:fs';
import path from 'node:path';
import { AdapterReplyError, Elm327Client, GpsReader, ObdSession } from '@fleetline/hardware';
import type { Transport } from '@fleetline/hardware';
import { OUTBOX_FILE } from '../companion.js';
import { formatDeviceSpec } from '../config/device-spec.js';
import type { CompanionConfig, DeviceConfig } from '../config/schema.js';
import { DEFAULT_BAUD, endpointFor } from '../devices/endpoints.js';
import type { DeviceRole } from '../devices/endpoints.js';
import { DeviceLocator } from '../devices/locator.js';
import { probeSerialPort } from '../devices/probe.js';
import type { CompanionStatus } from '../health/status.js';
import { inspectOutbox } from '../outbox/inspection.js';
import type { OutboxFinding, OutboxInspection, OutboxSnapshot } from '../outbox/inspection.js';
import { checkIntegrity } from '../outbox/integrity.js';
import type { IntegrityFinding } from '../outbox/integrity.js';
import { refusalHolds, refuser, serverKey, tokenHash } from '../outbox/outbox.js';
import type { NumberingPreview, Refusal } from '../outbox/outbox.js';
import { checkServer } from '../uplink/check-server.js';
import { readInstance } from '../util/instance-lock.js';
import { createLogger, messageOf, typeOf } from '../util/logger.js';
import type { ParsedCommand } from './commands.js';
import { UsageError, commandLine, configFlags } from './commands.js';
import { EXIT_CONFIG } from './io.js';
import type { CliIo } from './io.js';
import { configOrReport } from './run.js';
import { runningCompanion } from './running.js';

export interface Check {
  status: 'ok' | 'info' | 'warn' | 'fail';
  area: string;
  message: string;
  fix?: string;
}

const MARK: Record<Check['status'], string> = {
  ok: 'ok  ',
  info: 'info',
  warn: 'warn',
  fail: 'FAIL',
};

/**
 * `doctor`: checks the configuration, the outbox, the devices and the
 * server, and prints a plain report with what to fix. With a companion
 * running it reports that companion's view instead of touching its devices
 * or taking over its connection.
 */
export async function doctor(io: CliIo, parsed: ParsedCommand): Promise<number> {
  const quickCheckMs = quickCheckTimeoutMs(parsed.values['quick-check-timeout']);
  const config = configOrReport(io, configFlags(parsed.values));
  if (!config) return EXIT_CONFIG;
  const checks: Check[] = [
    {
      status: 'ok',
      area: 'configuration',
      message: `valid (server ${config.server.url}; OBD ${formatDeviceSpec(config.devices.obd)}; GPS ${formatDeviceSpec(config.devices.gps)}; data ${config.storage.dataDir})`,
    },
  ];
  // The daemon on this data directory says where its health endpoint is (port 0 included).
  const instance = readInstance(config.storage.dataDir);
  const health =
    instance?.health ??
    (config.health.port !== null && config.health.port !== 0
      ? { host: config.health.host, port: config.health.port }
      : null);
  const running = health ? await runningCompanion(health.host, health.port) : null;
  if (running) checks.push(...fromRunning(running));
  else if (instance) {
    checks.push({
      status: 'info',
      area: 'daemon',
      message: `a companion (pid ${instance.pid}) is running on ${config.storage.dataDir} without an answering health endpoint; its devices, outbox and connection are left alone`,
      fix: 'stop it to let doctor check the devices and the server itself, or give it a health port',
    });
  } else {
    checks.push(
      ...(await standalone(config, commandLine('forget-refusal', parsed.values), quickCheckMs)),
    );
  }

  if (parsed.values.json === true) {
    io.out(JSON.stringify({ running: running !== null, checks }, null, 2));
  } else {
    io.out(`fleetline-companion doctor (${config.name})`);
    for (const check of checks) {
      io.out(`  ${MARK[check.status]}  ${check.area}: ${check.message}`);
      if (check.fix) io.out(`        fix: ${check.fix}`);
    }
    const failures = checks.filter((c) => c.status === 'fail').length;
    const warnings = checks.filter((c) => c.status === 'warn').length;
    io.out(
      failures + warnings === 0
        ? 'All good.'
        : `${failures} problem(s) to fix, ${warnings} warning(s).`,
    );
  }
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/** A running companion's own view, from its health endpoint. */
function fromRunning(status: CompanionStatus): Check[] {
  const checks: Check[] = [
    {
      status: 'info',
      area: 'daemon',
      message: `running (pid ${status.pid}, version ${status.version}, up ${status.uptimeS} s, health ${status.health}); its devices and connection are left alone`,
    },
  ];
  const u = status.uplink;
  const uplinkProblem = status.problems.find(
    (p) => p.area === 'uplink' && p.severity === 'failing',
  );
  checks.push({
    status: u.state === 'connected' ? 'ok' : u.state === 'refused' ? 'fail' : 'warn',
    area: 'server',
    message:
      u.state === 'connected'
        ? `connected to ${u.server} as device ${u.deviceId ?? '?'} (vehicle ${u.vehicleId ?? '?'}); ${u.sender?.samplesStored ?? 0} samples stored since start`
        : u.state === 'refused' && u.refusal
          ? `${refuser(u.refusal)} refused the token (${u.refusal.type}) at ${new Date(u.refusal.at).toISOString()}; not retrying it`
          : `${u.state}${u.lastError ? `: ${u.lastError.message}` : ''}`,
    ...(uplinkProblem ? { fix: uplinkProblem.message } : {}),
  });
  const obd = status.devices.obd;
  checks.push({
    status:
      obd.state === 'polling' || obd.state === 'ignition_off' || obd.state === 'disabled'
        ? 'ok'
        : 'warn',
    area: 'OBD adapter',
    message:
      obd.state === 'disabled'
        ? 'not configured'
        : `${obd.state} on ${obd.device ?? '?'}${obd.adapter ? ` (${obd.adapter}${obd.protocol ? `, ${obd.protocol}` : ''})` : ''}${obd.vin ? `, VIN ${obd.vin}` : ''}${obd.state === 'polling' ? `, ${obd.polling.length} PIDs` : ''}${obd.lastError && obd.state !== 'polling' ? `; last error: ${obd.lastError.message}` : ''}`,
  });
  const gps = status.devices.gps;
  checks.push({
    status:
      gps.state === 'fix' || gps.state === 'disabled'
        ? 'ok'
        : gps.state === 'no_fix'
          ? 'info'
          : 'warn',
    area: 'GPS receiver',
    message:
      gps.state === 'disabled'
        ? 'not configured'
        : `${gps.state} on ${gps.device ?? '?'}${gps.fix?.satellites != null ? `, ${gps.fix.satellites} satellites` : ''}${gps.lastError && gps.state !== 'fix' ? `; last error: ${gps.lastError.message}` : ''}`,
  });
  const o = status.outbox;
  checks.push({
    status: o.full ? 'fail' : 'ok',
    area: 'outbox',
    message: `${o.pending} sample(s) waiting${o.oldestT ? ` (oldest from ${new Date(o.oldestT).toISOString()})` : ''}; ${mb(o.fileBytes)} of ${mb(o.maxBytes)}`,
  });
  checks.push({
    status: status.clock.drifting ? 'warn' : 'ok',
    area: 'clock',
    message: `sample times from ${status.clock.source}${status.clock.gpsDriftMs !== null ? `; system clock ${signed(status.clock.gpsDriftMs)} ms from GPS` : ''}`,
  });
  for (const problem of status.problems) {
    if (problem.area === 'uplink' && problem.severity === 'failing') continue;
    checks.push({
      status: problem.severity === 'failing' ? 'fail' : 'warn',
      area: problem.area,
      message: problem.message,
    });
  }
  return checks;
}

/**
 * No companion running: look at everything directly. The outbox is only
 * read (inspectOutbox): a diagnostic must not thin it, move it aside or
 * record anything in it; what the daemon will do to it is reported instead.
 */
async function standalone(
  config: CompanionConfig,
  forgetRefusal: string,
  quickCheckMs: number,
): Promise<Check[]> {
  const file = path.join(config.storage.dataDir, OUTBOX_FILE);
  const found = inspectOutbox(file, config.storage.maxDiskMb * 1024 * 1024);
  const outbox = found.kind === 'outbox' ? found.inspection : null;
  const checks: Check[] =
    found.kind === 'outbox'
      ? outboxChecks(found.inspection.snapshot, config)
      : [findingCheck(found, file)];
  // quick_check reads every page: it runs beside the device and server checks, up to its deadline.
  const stopIntegrity = new AbortController();
  const integrity =
    found.kind === 'outbox'
      ? checkIntegrity(file, { timeoutMs: quickCheckMs, signal: stopIntegrity.signal })
      : null;
  const others: Check[] = [];
  try {
    others.push(await deviceCheck('obd', config));
    others.push(await deviceCheck('gps', config));
    others.push(...(await serverChecks(config, outbox, forgetRefusal)));
    if (integrity && found.kind === 'outbox') {
      checks.push(integrityCheck(await integrity, file, found.inspection.snapshot.fileBytes));
    }
  } finally {
    stopIntegrity.abort();
    outbox?.close();
  }
  return [...checks, ...others];
}

const QUICK_CHECK_TIMEOUT_S = 30;

/** --quick-check-timeout SECONDS (0: no limit). */
function quickCheckTimeoutMs(value: ParsedCommand['values'][string]): number {
  if (value === undefined) return QUICK_CHECK_TIMEOUT_S * 1000;
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError('doctor: --quick-check-timeout must be a number of seconds (0: no limit)');
  }
  // setTimeout's ceiling (about 24.8 days) stands for no limit.
  return seconds === 0 ? 2 ** 31 - 1 : Math.min(seconds * 1000, 2 ** 31 - 1);
}

/**
 * What quick_check found. A damaged page is found by the daemon only when
 * it reads that page (OutboxFile.guard), and the file is moved aside then.
 */
function integrityCheck(found: IntegrityFinding, file: string, fileBytes: number): Check {
  const area = 'outbox';
  const pragma = 'PRAGMA quick_check';
  switch (found.kind) {
    case 'intact':
      return {
        status: 'ok',
        area,
        message: `no damaged page (${pragma} over ${mb(fileBytes)} in ${seconds(found.ms)})`,
      };
    case 'damaged': {
      const shown = found.problems.slice(0, 3).join('; ');
      const more = found.problems.length > 3 ? `; ${found.problems.length - 3} more` : '';
      const where = found.objects.length > 0 ? ` in ${found.objects.join(', ')}` : '';
      return {
        status: 'fail',
        area,
        message: `${file} has damaged pages${where} (${pragma}: ${shown}${more}): the daemon opens it all the same, and the first time it reads a damaged page (at its start if it is one it reads then, otherwise when it sends, thins or deletes the samples stored there) it moves the file aside (${path.basename(file)}.corrupt-<time>) and begins a new outbox; what still waits in the file then, samples recorded since its start included, is not sent`,
        fix: `to keep what waits, copy ${file} (and any -wal beside it) before the daemon starts; sqlite3's .recover may get most of it back. Then check the storage: an SD card wearing out, or one that loses writes at power cuts`,
      };
    }
    case 'unfinished':
      return {
        status: 'warn',
        area,
        message: `the integrity check (${pragma}) of ${file} (${mb(fileBytes)}) did not finish within ${seconds(found.afterMs)} and was stopped: the pages it had not reached are unchecked`,
        fix: 'run doctor with --quick-check-timeout 0 to wait for it however long it takes',
      };
    case 'failed':
      return {
        status: 'warn',
        area,
        message: `the integrity check (${pragma}) of ${file} could not run: ${found.message}`,
      };
  }
}

/** An outbox file that could not be inspected, or none: what that means for the daemon. */
function findingCheck(found: Exclude<OutboxFinding, { kind: 'outbox' }>, file: string): Check {
  const area = 'outbox';
  switch (found.kind) {
    case 'missing':
      return { status: 'info', area, message: `none yet (${file} is created at the first run)` };
    case 'unset':
      return {
        status: 'info',
        area,
        message: `${file} holds no outbox yet (no ${found.missingTables.join(', ')} table); the daemon sets it up at its start`,
      };
    case 'corrupt':
      return {
        status: 'fail',
        area,
        message: `${file} is corrupt (${found.message}): at its start the daemon moves it aside (${path.basename(file)}.corrupt-<time>) and begins a new outbox; what waited in it is not sent`,
        fix: `to keep what waited, copy the file before the daemon starts; sqlite3's .recover may get it back`,
      };
    case 'newer':
      return {
        status: 'fail',
        area,
        message: `${file}: ${found.message}; the daemon will not open it`,
        fix: 'install the companion version that wrote it, or a later one',
      };
    case 'unopenable':
      return {
        status: 'fail',
        area,
        message: `${file} cannot be opened${found.code ? ` (${found.code})` : ''}: ${found.message}`,
        fix: `doctor reads it as the user it runs as, and needs to be able to create its -wal and -shm files beside it: run doctor as root or as the companion's user; otherwise check the disk`,
      };
  }
}

function outboxChecks(stats: OutboxSnapshot, config: CompanionConfig): Check[] {
  const overBound = stats.usedBytes > stats.thinAboveBytes;
  const checks: Check[] = [
    {
      // Over the bound, the warning below says so; this line only counts.
      status: overBound ? 'info' : 'ok',
      area: 'outbox',
      message: `${stats.pending} sample(s) waiting${stats.oldestT ? ` (oldest from ${new Date(stats.oldestT).toISOString()})` : ''}; last sequence number ${stats.lastAssignedSeq}; ${mb(stats.fileBytes)} of ${mb(stats.maxBytes)}`,
    },
  ];
  if (overBound) {
    checks.push({
      status: 'warn',
      area: 'outbox',
      message: `${mb(stats.usedBytes)} of data, past the ${mb(stats.thinAboveBytes)} positions and readings may fill under storage.maxDiskMb ${config.storage.maxDiskMb}: at its start the daemon thins the older half of the positions and readings, and drops the oldest if need be (events are never thinned or dropped)`,
      fix: 'restore the uplink so the server takes the backlog, or raise storage.maxDiskMb if the disk allows',
    });
  }
  const c = stats.counters;
  if (c.refusedWhileFull + c.refusedEventsWhileFull > 0) {
    checks.push({
      status: 'warn',
      area: 'outbox',
      message: `events and alarms alone filled the bound at some point: ${c.refusedWhileFull} positions and readings${c.refusedEventsWhileFull > 0 ? ` and ${c.refusedEventsWhileFull} events` : ''} were refused`,
      fix: 'restore the uplink so the server takes the backlog, or raise storage.maxDiskMb',
    });
  }
  if (c.thinnedPositions + c.thinnedReadings + c.droppedOldest > 0) {
    checks.push({
      status: 'warn',
      area: 'outbox',
      message: `the disk bound was reached: ${c.thinnedPositions} positions and ${c.thinnedReadings} readings thinned, ${c.droppedOldest} dropped (events never are)`,
      fix: `raise storage.maxDiskMb (now ${config.storage.maxDiskMb}) if the disk allows, or keep the uplink up`,
    });
  }
  if (c.rejectedByServer > 0) {
    checks.push({
      status: 'warn',
      area: 'outbox',
      message: `the server rejected ${c.rejectedByServer} sample(s) for good; latest: ${stats.recentRejections
        .map((r) => `seq ${r.seq ?? '?'} ${r.field}: ${r.reason}`)
        .join('; ')}`,
      fix: 'a rejection for "t" means a clock far ahead: check GPS and NTP; others are companion bugs worth reporting',
    });
  }
  if (stats.quarantined > 0) {
    checks.push({
      status: 'warn',
      area: 'outbox',
      message: `${stats.quarantined} sample(s) in quarantine (their batch was refused as malformed)`,
      fix: 'report it with the outbox file; the samples are kept in its quarantine table',
    });
  }
  return checks;
}

async function deviceCheck(role: DeviceRole, config: CompanionConfig): Promise<Check> {
  const device: DeviceConfig = config.devices[role];
  const area = role === 'obd' ? 'OBD adapter' : 'GPS receiver';
  const scanFix = 'run `fleetline-companion scan` to see what is plugged in';
  if (device.transport === 'none')
    return { status: 'info', area, message: 'not configured (none)' };
  if (device.transport === 'serial' && !fs.existsSync(device.path)) {
    return {
      status: 'fail',
      area,
      message: `${device.path} does not exist`,
      fix: `plug the device in, or ${scanFix}`,
    };
  }
  const locator = new DeviceLocator({ logger: createLogger('silent') });
  const endpoint = endpointFor(role, device, locator);
  if (!endpoint) return { status: 'info', area, message: 'not configured' };
  let transport: Transport;
  try {
    transport = await endpoint.open();
  } catch (error) {
    const type = typeOf(error);
    return {
      status: 'fail',
      area,
      message: `${endpoint.label}: ${messageOf(error)}`,
      fix:
        type === 'ble_unavailable'
          ? 'this machine has no usable Bluetooth LE (or noble lacks permissions: setcap cap_net_raw+eip on node)'
          : /EACCES|permission/i.test(messageOf(error))
            ? 'add the companion user to the dialout group (sudo usermod -aG dialout fleetline)'
            : scanFix,
    };
  }
  try {
    return role === 'obd'
      ? await checkObd(transport, endpoint.label, device)
      : await checkGps(transport, endpoint.label, device);
  } finally {
    await transport.close().catch(() => undefined);
  }
}

async function checkObd(transport: Transport, label: string, device: DeviceConfig): Promise<Check> {
  const area = 'OBD adapter';
  const elm = new Elm327Client(transport, {
    timeoutMs: 2000,
    searchTimeoutMs: 10_000,
    resetTimeoutMs: 3000,
  });
  try {
    const adapter = await elm.configureAdapter();
    try {
      const vehicle = await elm.connectVehicle();
      let vin = '';
      try {
        vin = await new ObdSession(elm).readVin();
      } catch {
        // Not every vehicle reports its VIN over OBD.
      }
      return {
        status: 'ok',
        area,
        message: `${label}: ${adapter.version}, vehicle answers on ${vehicle.protocol.name}${vin ? `, VIN ${vin}` : ''}`,
      };
    } catch (error) {
      if (
        error instanceof AdapterReplyError &&
        (error.outcome === 'unable_to_connect' || error.outcome === 'no_data')
      ) {
        return {
          status: 'ok',
          area,
          message: `${label}: ${adapter.version}; the vehicle does not answer (ignition off?)`,
        };
      }
      return {
        status: 'warn',
        area,
        message: `${label}: ${adapter.version}; the vehicle answered badly: ${messageOf(error)}`,
      };
    }
  } catch (error) {
    return {
      status: 'fail',
      area,
      message: `${label}: no ELM327 answer (${messageOf(error)})`,
      fix: await suggestSerial(device, 'elm327'),
    };
  } finally {
    elm.dispose();
  }
}

async function checkGps(transport: Transport, label: string, device: DeviceConfig): Promise<Check> {
  const area = 'GPS receiver';
  const reader = new GpsReader(transport);
  let sentences = 0;
  let fixes = 0;
  let withPosition = 0;
  let satellites: number | null = null;
  reader.onSentence(() => (sentences += 1));
  reader.onFix((fix) => {
    fixes += 1;
    if (fix.lat !== null && fix.mode !== 'no_fix') withPosition += 1;
    satellites = fix.satellitesUsed ?? satellites;
  });
  reader.start();
  await new Promise((resolve) => setTimeout(resolve, 4000));
  reader.stop();
  if (sentences === 0) {
    return {
      status: 'fail',
      area,
      message: `${label}: no NMEA within 4 s`,
      fix: await suggestSerial(device, 'gps'),
    };
  }
  if (withPosition === 0) {
    return {
      status: 'warn',
      area,
      message: `${label}: NMEA flowing (${fixes} epochs) but no fix yet`,
      fix: 'give the antenna a view of the sky; a cold start can take minutes',
    };
  }
  return { status: 'ok', area, message: `${label}: fix, ${satellites ?? '?'} satellites` };
}

/** When a serial device does not answer at its configured rate, find out what does. */
async function suggestSerial(device: DeviceConfig, wanted: 'elm327' | 'gps'): Promise<string> {
  if (device.transport !== 'serial') return 'check the adapter, or run `fleetline-companion scan`';
  const found = await probeSerialPort(device.path, { prefer: wanted });
  if (
    found.kind === wanted &&
    found.baudRate !== (device.baudRate ?? DEFAULT_BAUD[wanted === 'elm327' ? 'obd' : 'gps'])
  ) {
    return `it answers at ${found.baudRate} baud: set baudRate ${found.baudRate} (serial:${device.path}@${found.baudRate})`;
  }
  if (found.kind && found.kind !== wanted) {
    return `${device.path} is ${found.kind === 'gps' ? 'a GPS receiver' : 'an ELM327 adapter'} (${found.detail}); the two devices may be swapped`;
  }
  return 'check the cable and power, or run `fleetline-companion scan`';
}

async function serverChecks(
  config: CompanionConfig,
  outbox: OutboxInspection | null,
  /** The command line that removes a stored refusal, with doctor's configuration flags. */
  forgetRefusal: string,
): Promise<Check[]> {
  const checks: Check[] = [];
  const url = config.server.url;
  const refusal = outbox?.snapshot.refusal ?? null;
  try {
    const response = await fetch(new URL('healthz', url.endsWith('/') ? url : `${url}/`), {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json().catch(() => null)) as {
      status?: unknown;
      database?: unknown;
    } | null;
    const status = typeof body?.status === 'string' ? body.status : null;
    const database = typeof body?.database === 'string' ? body.database : null;
    checks.push({
      status: response.ok && status === 'ok' ? 'ok' : 'warn',
      area: 'server',
      message: `${url} answers (HTTP ${response.status}${status ? `, status ${status}` : ''}${database ? `, database ${database}` : ''})`,
    });
  } catch (error) {
    checks.push({
      status: 'fail',
      area: 'server',
      message: `${url} cannot be reached: ${messageOf(error instanceof Error && error.cause ? error.cause : error)}`,
      fix: 'check server.url, the network (mobile data, APN) and any firewall; samples wait in the outbox meanwhile',
    });
    // The server cannot say otherwise now: what it said last time stands.
    checks.push(...storedRefusalChecks(refusal, config));
    return checks;
  }
  const result = await checkServer(url, config.server.token);
  const holds = refusal !== null && refusalHolds(refusal, config.server.token, url);
  if (result.outcome === 'unreachable' || result.outcome === 'invalid') {
    checks.push(...storedRefusalChecks(refusal, config));
  }
  switch (result.outcome) {
    case 'accepted': {
      const hello = result.hello;
      checks.push({
        status: 'ok',
        area: 'device token',
        message: `accepted: device ${hello.deviceId}, vehicle ${hello.vehicleId}; the server holds samples up to seq ${hello.highestStoredSeq}`,
      });
      if (outbox) checks.push(...nextHelloChecks(outbox, hello));
      const offset = Date.now() - hello.serverTime;
      if (Math.abs(offset) > config.clock.maxDriftMs) {
        checks.push({
          status: 'warn',
          area: 'clock',
          message: `the system clock is ${signed(offset)} ms from the server's`,
          fix: 'enable NTP (timedatectl set-ntp true); with a GPS fix sample times follow GPS anyway',
        });
      }
      if (outbox && refusal && holds) {
        // Clearing the record is a change to the outbox: not doctor's to make.
        const when = new Date(refusal.at).toISOString();
        checks.push({
          status: 'fail',
          area: 'device token',
          message: `the server accepts it now, but ${typeof refusal.serverUrl !== 'string' ? `a server (the record does not say which) refused it at ${when}` : `refused it at ${when}`} (${refusal.type}) and the outbox keeps that: run will not use this token while it does`,
          fix: `with the daemon stopped, remove the record: ${forgetRefusal} (or install a new token)`,
        });
      }
      break;
    }
    case 'refused':
      checks.push({
        status: 'fail',
        area: 'device token',
        message: `refused by the server: ${result.type} (${result.message})`,
        fix: refusalFix(result.type),
      });
      break;
    case 'unreachable':
      checks.push({
        status: 'fail',
        area: 'device uplink',
        message: `the /device namespace did not answer: ${result.message}`,
        fix: 'a proxy in front of the server must pass WebSocket upgrades on /socket.io/',
      });
      break;
    case 'invalid':
      checks.push({
        status: 'fail',
        area: 'device uplink',
        message: result.message,
        fix: 'is server.url a Fleetline server of a compatible version?',
      });
      break;
  }
  if (result.outcome === 'accepted' && refusal && !holds)
    checks.push(refusalElsewhereCheck(refusal, config));
  return checks;
}

/**
 * What the daemon's next hello does to this outbox's numbering, by the rule
 * it applies. The next hello's lastOutboxId is this one's: doctor's
 * connection names no outbox and sends nothing, and the server records the
 * outbox of a connection that sends telemetry.
 */
function nextHelloChecks(
  outbox: OutboxInspection,
  hello: { deviceId: number; highestStoredSeq: number; lastOutboxId?: string | null | undefined },
): Check[] {
  let preview: NumberingPreview;
  try {
    preview = outbox.previewNumbering(hello.deviceId, hello.highestStoredSeq, hello.lastOutboxId);
  } catch (error) {
    return [
      {
        status: 'warn',
        area: 'outbox',
        message: `its numbering could not be checked against the server's: ${messageOf(error)}`,
      },
    ];
  }
  const check = numberingCheck(hello, outbox.snapshot, preview);
  return check ? [check] : [];
}

/**
 * Says what the daemon's next hello does with the waiting samples' numbers
 * (Outbox.checkNumbering; the rule is renumberingAtHello), given what it
 * would do now. Nothing when nothing is renumbered: what waits that the
 * server holds is then a true replay, which it counts as a duplicate.
 */
export function numberingCheck(
  hello: { deviceId: number; highestStoredSeq: number },
  outbox: { pending: number; lastAssignedSeq: number },
  preview: NumberingPreview,
): Check | null {
  const seq = hello.highestStoredSeq;
  const moved = (when: string): string =>
    `${when} the daemon renumbers all ${preview.renumbered} waiting sample(s) above the server's seq ${seq}, from ${seq + 1} on, in order`;
  const unmoved =
    outbox.pending === 0
      ? 'nothing waits'
      : `nothing waiting is numbered at or below the server's seq ${seq}`;
  switch (preview.reason) {
    case null:
      return null;
    case 'new-outbox': {
      const why =
        preview.numberedFor === null
          ? `this outbox has not completed a hello yet (a new or wiped card, or a corrupt file moved aside): it numbered from 1 without knowing the server's numbers`
          : `this outbox's numbering was checked for device ${preview.numberedFor}, and this token is device ${hello.deviceId}'s`;
      return {
        status: 'info',
        area: 'outbox',
        message:
          preview.renumbered > 0
            ? `${why}; ${moved('at its first hello')}, or the server would drop them as replays`
            : `${why}; ${unmoved}, so nothing is renumbered, and the first hello records the check (numbering continues from ${preview.lastAssignedSeq + 1})`,
      };
    }
    case 'server-ahead': {
      // Told that another outbox numbered last, the daemon renumbers all of what waits however much it records first.
      const another = preview.lastOutbox === 'another';
      return {
        status: 'info',
        area: 'outbox',
        message: `the server holds up to seq ${seq}, past the last number this outbox handed out (${outbox.lastAssignedSeq}): ${
          another
            ? 'the server says another outbox sent with this token last (another card, or another companion with this token).'
            : 'a card restored from a backup, or another companion sending with this token?'
        } ${
          preview.renumbered > 0
            ? `${moved('At its next hello')}${another ? '' : ` (should it record more than ${seq - outbox.lastAssignedSeq} before then, only those recorded since it started, the rest being replays)`}`
            : `${unmoved}; numbering continues from ${seq + 1}`
        }`,
        fix: another
          ? 'make sure no other companion uses this token (each vehicle needs its own: register-vehicle)'
          : 'if no backup was restored, make sure no other companion uses this token (each vehicle needs its own: register-vehicle)',
      };
    }
    case 'restored': {
      const own = preview.lastOutbox === 'this';
      // Its own numbers: what it numbered before is its own, held by the server (a replay) or not.
      const before = own
        ? 'keep their numbers (what the server holds of them is a replay, the rest it stores)'
        : 'are replays';
      const kept =
        preview.renumbered === 0 && outbox.pending > 0 && own
          ? `What waits was numbered before and keeps its numbers (what the server holds of it is a replay, the rest it stores); what the daemon records before its next hello is renumbered above ${seq}; numbering continues from ${preview.lastAssignedSeq + 1}`
          : `${unmoved}; numbering continues from ${preview.lastAssignedSeq + 1}`;
      return {
        status: 'info',
        area: 'outbox',
        message: `the server holds up to seq ${seq}, past this outbox's counter when it was opened (${preview.lastSeqAtOpen})${
          own ? ', and says its numbers came from this outbox' : ''
        }: a card restored from a backup, or commits a power cut rolled back after they were sent? ${
          preview.renumbered > 0
            ? `At its next hello the daemon renumbers the ${preview.renumbered} sample(s) numbered since above ${seq}, from ${seq + 1} on, in order; those numbered before ${before}`
            : kept
        }`,
      };
    }
    case 'other-outbox':
      return {
        status: 'info',
        area: 'outbox',
        message: `the server says another outbox sent with this token last (another card, or another companion with this token), and holds up to seq ${seq}; ${
          preview.renumbered > 0
            ? `${moved('at its next hello')}, or those the other outbox numbered alike would be dropped as replays`
            : `${unmoved}, so nothing is renumbered`
        }`,
        fix: 'make sure no other companion uses this token (each vehicle needs its own: register-vehicle)',
      };
  }
}

/**
 * A refusal stored by the daemon, reported when the server cannot be asked:
 * `run` will not use this token again, and that is the one thing the user
 * must know even offline.
 */
function storedRefusalChecks(refusal: Refusal | null, config: CompanionConfig): Check[] {
  if (!refusal) return [];
  if (!refusalHolds(refusal, config.server.token, config.server.url))
    return [refusalElsewhereCheck(refusal, config)];
  return [
    {
      status: 'fail',
      area: 'device token',
      message: `refused by ${refuser(refusal)} at ${new Date(refusal.at).toISOString()}: ${refusal.type} (${refusal.message}); run will not use this token again (the server could not be asked now)`,
      fix: refusalFix(refusal.type),
    },
  ];
}

/** A stored refusal that does not hold for the configured token and server: run clears it at its start. */
function refusalElsewhereCheck(refusal: Refusal, config: CompanionConfig): Check {
  return {
    status: 'info',
    area: 'device token',
    message:
      refusal.tokenHash !== tokenHash(config.server.token)
        ? `an older token was refused (${refusal.type}); the configured one is different, so it does not matter`
        : `${refuser(refusal)} refused this token (${refusal.type}) at ${new Date(refusal.at).toISOString()}; the configured server is ${serverKey(config.server.url)}, so it does not matter (run removes the record at its start)`,
  };
}

function refusalFix(type: Refusal['type']): string {
  return type === 'device-token-revoked'
    ? 'the token was revoked or replaced: get a new one (npm run fleetline -- replace-device) and put it in server.token or server.tokenFile'
    : 'the server does not know this token: check it was copied whole (fld_ and 43 characters) and that server.url is the server that issued it (a refusal holds only for the server that gave it, so correcting server.url is enough), or register the vehicle';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
