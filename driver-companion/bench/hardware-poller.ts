/**
 * The benchmark's baseline (bench/companion.ts): the same polling plan and
 * GPS receiver read with @fleetline/hardware alone, results thrown away.
 * Usage: node hardware-poller.js OBD_PATH GPS_PATH; prints counts on SIGTERM.
 */
import { Elm327Client, GpsReader, ObdSession, SerialTransport } from '@fleetline/hardware';
import { DEFAULT_POLL_PLAN } from '../src/config/default-plan.js';

const [obdPath, gpsPath] = process.argv.slice(2);
if (!obdPath || !gpsPath) {
  process.stderr.write('usage: hardware-poller OBD_PATH GPS_PATH\n');
  process.exit(2);
}
const gps = new GpsReader(new SerialTransport({ path: gpsPath, baudRate: 115200 }));
let fixes = 0;
gps.onFix(() => (fixes += 1));
gps.start();
await gps.transport.open();
const port = new SerialTransport({ path: obdPath, baudRate: 38400 });
await port.open();
const elm = new Elm327Client(port);
await elm.initialize();
const obd = new ObdSession(elm);
const next = new Map(DEFAULT_POLL_PLAN.map((p) => [p.pid, 0]));
let readings = 0;
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ readings, fixes })}\n`);
  process.exit(0);
});
for (;;) {
  const now = Date.now();
  const due = DEFAULT_POLL_PLAN.filter((p) => (next.get(p.pid) ?? 0) <= now);
  for (const p of due) next.set(p.pid, now + p.everyS * 1000);
  if (due.length > 0) readings += (await obd.readPids(due.map((p) => p.pid))).length;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
