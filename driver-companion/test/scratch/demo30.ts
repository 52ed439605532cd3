import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoFleet, createLogger } from '../../src/index.js';
import { registerVehicle, startTestServer } from '../support/server.js';
const server = await startTestServer();
const vehicles = [];
for (let i = 1; i <= 30; i++)
  vehicles.push({ name: `Van ${i}`, ...(await registerVehicle(server.server, `Van ${i}`)) });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo30-'));
const fleet = await startDemoFleet({
  serverUrl: server.url,
  vehicles,
  dataDir,
  logger: createLogger('warn'),
});
await new Promise((r) => setTimeout(r, 10_000));
const c0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, 30_000));
const c = process.cpuUsage(c0);
const dt = performance.now() - t0;
const st = fleet.status();
console.log(
  JSON.stringify({
    cpuPct: (((c.user + c.system) / 1000 / dt) * 100).toFixed(1),
    rssMb: (process.memoryUsage().rss / 1e6).toFixed(0),
    connected: st.connected,
    stored: st.stored,
    pending: st.pending,
    activities: st.vehicles.map((v) => v.activity).join(','),
  }),
);
await fleet.stop();
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
fs.rmSync(server.dir, { recursive: true, force: true });
