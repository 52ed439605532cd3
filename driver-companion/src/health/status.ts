import type { ClockStatus } from '../clock/time-source.js';
import type { DerivedState } from '../derive/driving-deriver.js';
import type { GpsStatus } from '../devices/gps-supervisor.js';
import type { ObdStatus } from '../devices/obd-supervisor.js';
import { refuser } from '../outbox/meta.js';
import type { OutboxStats } from '../outbox/outbox.js';
import type { SinkStats } from '../sampling/sample-sink.js';
import type { UplinkStatus } from '../uplink/uplink.js';

export type Health = 'ok' | 'degraded' | 'failing';

export interface Problem {
  severity: 'degraded' | 'failing';
  /** Which part: uplink, obd, gps, outbox, clock. */
  area: string;
  /** What is wrong and what to do about it, in plain words. */
  message: string;
}

/** Everything the health endpoint and `doctor` report. */
export interface CompanionStatus {
  name: string;
  version: string;
  pid: number;
  startedAt: number;
  uptimeS: number;
  health: Health;
  problems: Problem[];
  devices: { obd: ObdStatus; gps: GpsStatus };
  uplink: UplinkStatus;
  outbox: OutboxStats & {
    sink: SinkStats;
    quarantined: number;
    recentRejections: { seq: number | null; field: string; reason: string; at: number }[];
  };
  clock: ClockStatus & { now: number };
  driving: DerivedState;
  healthEndpoint: { host: string; port: number } | null;
}

/** Grace periods before a passing state counts as a problem. */
const UPLINK_DOWN_MS = 5 * 60_000;
const DEVICE_DOWN_MS = 60_000;
const NO_FIX_MS = 10 * 60_000;

/** Turns the parts' states into problems, each with what to do about it. */
export function assess(
  status: Omit<CompanionStatus, 'health' | 'problems'>,
  now: number,
): Problem[] {
  const problems: Problem[] = [];
  const add = (severity: Problem['severity'], area: string, message: string): void => {
    problems.push({ severity, area, message });
  };
  const ago = (t: number): string => `${Math.round((now - t) / 1000)} s ago`;

  const uplink = status.uplink;
  if (uplink.state === 'refused' && uplink.refusal) {
    const refusal = uplink.refusal;
    add(
      'failing',
      'uplink',
      `${refuser(refusal)} refused the device token (${refusal.type}) at ${new Date(refusal.at).toISOString()}; ` +
        'the companion will not retry it there. ' +
        (refusal.type === 'device-token-invalid'
          ? 'If server.url names another Fleetline server, correct it and restart (a refusal holds only ' +
            'for the server that gave it); otherwise register'
          : 'Register') +
        ' the vehicle again or replace its device (npm run fleetline -- replace-device), put the new ' +
        'token in the configuration and restart. Samples are kept in the outbox meanwhile.',
    );
  } else if (uplink.state === 'replaced') {
    add(
      'degraded',
      'uplink',
      'another companion connected with this token and took over the session: two devices share one token. ' +
        'Give each vehicle its own token.',
    );
  } else if (uplink.state !== 'connected' && now - uplink.since > UPLINK_DOWN_MS) {
    add(
      'degraded',
      'uplink',
      `not connected to ${uplink.server} for ${ago(uplink.since)}: ${uplink.lastError?.message ?? 'no answer'}. ` +
        'Check the network and the server URL; samples wait in the outbox.',
    );
  }
  const sender = uplink.sender;
  // The outbox's counter and list outlive restarts: a rejection does not vanish from the
  // report because the daemon restarted since (the sender's own count starts at zero).
  const rejected = status.outbox.counters.rejectedByServer;
  if (rejected > 0) {
    const latest = status.outbox.recentRejections[0];
    add(
      'degraded',
      'uplink',
      `the server rejected ${rejected} sample(s) for good (${sender?.rejected ?? 0} since this start)` +
        (latest
          ? `; latest at ${new Date(latest.at).toISOString()}: seq ${latest.seq ?? '?'} field "${latest.field}": ${latest.reason}`
          : '') +
        '. A rejection for "t" means a clock far off: check GPS and NTP; others are companion bugs worth reporting.',
    );
  }
  if (sender && sender.garbageReplies > 0) {
    add(
      'degraded',
      'uplink',
      `${sender.garbageReplies} reply(ies) from the server were not valid; their batches were kept and resent`,
    );
  }

  const obd = status.devices.obd;
  if ((obd.state === 'backoff' || obd.state === 'connecting') && now - obd.since > DEVICE_DOWN_MS) {
    add(
      'degraded',
      'obd',
      `OBD adapter ${obd.device ?? ''} not working for ${ago(obd.since)}: ${obd.lastError?.message ?? 'not found'}. ` +
        'Check that it is plugged in, the path and baud rate (fleetline-companion scan).',
    );
  }
  const gps = status.devices.gps;
  if (
    (gps.state === 'backoff' || gps.state === 'connecting' || gps.state === 'silent') &&
    now - gps.since > DEVICE_DOWN_MS
  ) {
    add(
      'degraded',
      'gps',
      `GPS receiver ${gps.device ?? ''} ${gps.state === 'silent' ? 'silent' : 'not working'} for ${ago(gps.since)}` +
        `${gps.lastError ? `: ${gps.lastError.message}` : ''}. Check the cable, the path and the baud rate.`,
    );
  } else if (gps.state === 'no_fix' && now - gps.since > NO_FIX_MS) {
    add('degraded', 'gps', `no GPS fix for ${ago(gps.since)}: is the antenna covered or indoors?`);
  }

  const outbox = status.outbox;
  if (!outbox.available) {
    add(
      'failing',
      'outbox',
      `the outbox cannot be opened (${outbox.openError ?? 'unknown error'}): is the disk full or failing? ` +
        `${outbox.sink.staged} sample(s) wait in memory (lost if the companion stops) and the outbox is ` +
        'tried again every few seconds. Free space on the disk.',
    );
  } else if (outbox.sink.lastError) {
    add(
      'failing',
      'outbox',
      `samples cannot be committed to the outbox: ${outbox.sink.lastError}. Check the disk.`,
    );
  }
  if (outbox.eventsFull) {
    add(
      'failing',
      'outbox',
      `the outbox holds ${outbox.pending} events and alarms and they fill its whole bound (${mb(outbox.maxBytes)}), ` +
        `the reserve kept for them included: new events are refused too (${outbox.counters.refusedEventsWhileFull} so far), ` +
        'as are positions and readings. Restore the uplink or raise storage.maxDiskMb.',
    );
  } else if (outbox.full) {
    add(
      'failing',
      'outbox',
      `the outbox holds ${outbox.pending} events and alarms and has reached its bound (${mb(outbox.maxBytes)}); ` +
        `positions and readings are refused (${outbox.counters.refusedWhileFull} so far) until the server takes some; ` +
        'events are still kept, in the part of the bound reserved for them. Restore the uplink or raise storage.maxDiskMb.',
    );
  } else if (
    outbox.counters.thinnedPositions +
      outbox.counters.thinnedReadings +
      outbox.counters.droppedOldest >
    0
  ) {
    const c = outbox.counters;
    add(
      'degraded',
      'outbox',
      `the outbox reached its bound (${mb(outbox.maxBytes)}) at some point: ${c.thinnedPositions} old positions and ` +
        `${c.thinnedReadings} readings thinned, ${c.droppedOldest} dropped (events are never dropped).`,
    );
  }
  const replaced = outbox.replacedWhileRunning;
  if (replaced) {
    add(
      'degraded',
      'outbox',
      `the outbox file was found corrupt at ${new Date(replaced.at).toISOString()} and moved aside to ` +
        `${replaced.movedTo}, with ${replaced.unsent} sample(s) the server had not acknowledged (sqlite3's .recover ` +
        'may get them back); a new outbox records since. Check the storage: an SD card wearing out?',
    );
  }
  if (outbox.quarantined > 0) {
    add(
      'degraded',
      'outbox',
      `${outbox.quarantined} sample(s) in quarantine: the server could not read their batch (a companion bug; please report it).`,
    );
  }
  if (status.clock.drifting) {
    const drift = status.clock.gpsDriftMs ?? status.clock.serverDriftMs ?? 0;
    add(
      'degraded',
      'clock',
      `the system clock is ${Math.round(drift / 1000)} s off GPS/server time; samples are stamped from ${status.clock.source}. ` +
        'Enable NTP (timedatectl set-ntp true) or check the RTC.',
    );
  }
  return problems;
}

export function overall(problems: readonly Problem[]): Health {
  if (problems.some((p) => p.severity === 'failing')) return 'failing';
  return problems.length > 0 ? 'degraded' : 'ok';
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}
