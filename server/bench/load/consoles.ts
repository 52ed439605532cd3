import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { CONSOLE_NAMESPACE } from '@fleetline/protocol';
import type { PositionState, ServerToConsoleEvents } from '@fleetline/protocol';
import { Histogram } from '../lib/histogram.js';
import type { ConsoleCommand, ConsoleReply } from './messages.js';

/**
 * Load worker: dispatch consoles on the live feed. Measures, for every
 * position delivered, the time from the device's send (the sample's `t`,
 * same machine clock) to its arrival here.
 */

let sockets: Socket<ServerToConsoleEvents>[] = [];
let window = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
let histogram = new Histogram();
/** With BENCH_TIMELINE set: one histogram per second of send time, printed at report (diagnostics only). */
const timeline = process.env.BENCH_TIMELINE ? new Map<number, Histogram>() : undefined;
let delivered = 0;
let duplicates = 0;
const send = (reply: ConsoleReply) => process.send?.(reply);

function observe(
  latest: Map<number, number>,
  update: { id: number; position?: PositionState | null },
  now: number,
): void {
  const position = update.position;
  if (!position) return;
  const previous = latest.get(update.id);
  if (previous !== undefined && position.t <= previous) {
    if (position.t >= window.from && position.t < window.to) duplicates++;
    return;
  }
  latest.set(update.id, position.t);
  if (position.t < window.from || position.t >= window.to) return;
  delivered++;
  histogram.record(now - position.t);
  if (timeline) {
    const second = Math.floor((position.t - window.from) / 1000);
    let h = timeline.get(second);
    if (!h) timeline.set(second, (h = new Histogram()));
    h.record(now - position.t);
  }
}

function printTimeline(): void {
  if (!timeline) return;
  for (const [second, h] of [...timeline].sort((a, b) => a[0] - b[0]))
    process.stderr.write(
      `[bench:timeline] at=${window.from + second * 1000} s=${second} n=${h.count} p50=${h.percentile(50)} p99=${h.percentile(99)} max=${h.percentile(100)}\n`,
    );
  timeline.clear();
}

async function connect(url: string, token: string, consoles: number): Promise<void> {
  let vehicles = 0;
  sockets = await Promise.all(
    Array.from({ length: consoles }, () => {
      const socket: Socket<ServerToConsoleEvents> = io(`${url}${CONSOLE_NAMESPACE}`, {
        auth: { token },
        transports: ['websocket'],
        forceNew: true,
      });
      const latest = new Map<number, number>();
      socket.on('vehicles', (message) => {
        const now = Date.now();
        for (const u of message.updates) observe(latest, u, now);
        for (const v of message.added ?? []) observe(latest, v, now);
      });
      return new Promise<Socket<ServerToConsoleEvents>>((resolve, reject) => {
        socket.once('snapshot', (snapshot) => {
          vehicles = snapshot.vehicles.length;
          for (const v of snapshot.vehicles) if (v.position) latest.set(v.id, v.position.t);
          resolve(socket);
        });
        socket.once('connect_error', (err) => reject(err));
      });
    }),
  );
  send({ type: 'connected', vehicles });
}

process.on('message', (command: ConsoleCommand) => {
  switch (command.type) {
    case 'connect':
      connect(command.url, command.token, command.consoles).catch((err: unknown) =>
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
      );
      break;
    case 'window':
      window = { from: command.from, to: command.to };
      histogram = new Histogram();
      timeline?.clear();
      delivered = 0;
      duplicates = 0;
      break;
    case 'report':
      printTimeline();
      send({ type: 'report', delivered, duplicates, latency: histogram.toJSON() });
      break;
    case 'close':
      for (const s of sockets) s.close();
      process.exit(0);
  }
});
