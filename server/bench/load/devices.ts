import { DEVICE_NAMESPACE } from '@fleetline/protocol';
import type { BatchReply, TelemetrySampleInput } from '@fleetline/protocol';
import { Histogram } from '../lib/histogram.js';
import type { DeviceCommand, DeviceReply, DeviceSpec } from './messages.js';
import { DISCONNECTED, WireSocketIoClient } from './wire-client.js';

/**
 * Load worker: many simulated vehicles, each its own socket.io connection to
 * the device namespace (see wire-client.ts), sending real batches (a fix and
 * an OBD reading) at a fixed rate. Sends are spread evenly over each period,
 * as real fleets are.
 */

interface SimulatedVehicle {
  spec: DeviceSpec;
  socket: WireSocketIoClient;
  seq: number;
  /** Current back-off after a refusal; 0 when the last batch was accepted. */
  backoffMs: number;
  lat: number;
  lon: number;
  heading: number;
}

const TICK_MS = 5;
/** After a refused batch, a vehicle waits this long, doubling up to the cap, with jitter: as a companion does. */
const RESEND_FIRST_MS = 1000;
const RESEND_MAX_MS = 30_000;

let vehicles: SimulatedVehicle[] = [];
const send = (reply: DeviceReply) => process.send?.(reply);

async function connect(url: string, devices: DeviceSpec[], concurrency: number): Promise<void> {
  const started = performance.now();
  vehicles = [];
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const spec = devices[next++]!;
      const socket = new WireSocketIoClient(url, DEVICE_NAMESPACE, { token: spec.token });
      await socket.connect('hello').catch((err: Error) => {
        throw new Error(`vehicle ${spec.vehicleId}: ${err.message}`);
      });
      // Start somewhere around Stockholm, each vehicle on its own heading.
      vehicles.push({
        backoffMs: 0,
        spec,
        socket,
        seq: 0,
        lat: 59.2 + Math.random() * 0.2,
        lon: 17.9 + Math.random() * 0.3,
        heading: Math.random() * 360,
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  send({ type: 'connected', count: vehicles.length, ms: Math.round(performance.now() - started) });
}

function batchFor(v: SimulatedVehicle, t: number): TelemetrySampleInput[] {
  v.heading = (v.heading + (Math.random() - 0.5) * 10 + 360) % 360;
  const step = 0.0001;
  v.lat += Math.cos((v.heading * Math.PI) / 180) * step;
  v.lon += Math.sin((v.heading * Math.PI) / 180) * step;
  const speedKmh = 20 + Math.random() * 60;
  return [
    {
      kind: 'position',
      seq: ++v.seq,
      t,
      lat: v.lat,
      lon: v.lon,
      speedKmh,
      headingDeg: v.heading,
      altitudeM: 25,
      hdop: 0.8,
      satellites: 10,
      fixQuality: 'gps',
    },
    { kind: 'reading', seq: ++v.seq, t, pid: 0x0c, value: 800 + speedKmh * 30, unit: 'rpm' },
  ];
}

async function run(hz: number, seconds: number, startAt: number): Promise<void> {
  const periodMs = 1000 / hz;
  const slots = Math.max(1, Math.round(periodMs / TICK_MS));
  const bySlot: SimulatedVehicle[][] = Array.from({ length: slots }, () => []);
  vehicles.forEach((v, i) => bySlot[i % slots]!.push(v));
  const endAt = startAt + seconds * 1000;
  const report = {
    sent: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    errorReplies: 0,
    cutOff: 0,
    ackedInWindow: 0,
  };
  let outstanding = 0;
  const ackLatency = new Histogram();

  const emit = (v: SimulatedVehicle, samples: TelemetrySampleInput[]) => {
    const sentAt = Date.now();
    v.socket.emit('telemetry', { samples }, (raw) => {
      const reply = raw as BatchReply | typeof DISCONNECTED;
      // A batch cut off by a lost connection was never answered: no latency to count.
      if (reply !== DISCONNECTED) ackLatency.record(Date.now() - sentAt);
      if ('ok' in reply) {
        v.backoffMs = 0;
        outstanding -= samples.length;
        report.stored += reply.stored;
        report.duplicates += reply.duplicates;
        report.rejected += reply.rejected.length;
        if (Date.now() <= endAt) report.ackedInWindow += samples.length;
      } else {
        // A companion keeps what was refused, or never answered before its
        // connection dropped, and sends it again later.
        if (reply === DISCONNECTED) report.cutOff++;
        else report.errorReplies++;
        v.backoffMs = Math.min(RESEND_MAX_MS, v.backoffMs ? v.backoffMs * 2 : RESEND_FIRST_MS);
        setTimeout(() => emit(v, samples), v.backoffMs * (0.5 + Math.random() / 2));
      }
    });
  };

  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  let lastTick = -1;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= endAt) {
        clearInterval(timer);
        resolve();
        return;
      }
      const tick = Math.floor((now - startAt) / TICK_MS);
      // Catch up on ticks a busy event loop skipped, so the offered rate holds.
      for (let k = lastTick + 1; k <= tick; k++) {
        for (const v of bySlot[k % slots]!) {
          const samples = batchFor(v, now);
          report.sent += samples.length;
          outstanding += samples.length;
          emit(v, samples);
        }
      }
      lastTick = tick;
    }, TICK_MS);
  });

  const deadline = Date.now() + 30_000;
  while (outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  send({
    type: 'ran',
    sent: report.sent,
    stored: report.stored,
    duplicates: report.duplicates,
    rejected: report.rejected,
    errorReplies: report.errorReplies,
    cutOff: report.cutOff,
    unacked: outstanding,
    reconnects: vehicles.reduce((n, v) => n + v.socket.reconnects, 0),
    ackedPerS: Math.round(report.ackedInWindow / seconds),
    ackLatency: ackLatency.toJSON(),
  });
}

process.on('message', (command: DeviceCommand) => {
  const task =
    command.type === 'connect'
      ? connect(command.url, command.devices, command.concurrency)
      : command.type === 'run'
        ? run(command.hz, command.seconds, command.startAt)
        : Promise.resolve().then(() => {
            for (const v of vehicles) v.socket.close();
            process.exit(0);
          });
  task.catch((err: unknown) =>
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
