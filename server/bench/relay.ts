import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { CONSOLE_NAMESPACE, DEVICE_NAMESPACE } from '@fleetline/protocol';
import type { TelemetryBatch, VehicleUpdate } from '@fleetline/protocol';

/**
 * The ingest benchmark's baseline: a bare socket.io relay on the same
 * namespaces and message shapes as the server, with no authentication, no
 * validation, no storage and no coalescing. Each batch is acknowledged at
 * once and its positions broadcast to every console. It bounds what the
 * socket layer alone costs on this machine.
 */

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 4 * 1024 * 1024 });
const consoles = io.of(CONSOLE_NAMESPACE);
const devices = io.of(DEVICE_NAMESPACE);
const epoch = 'relay';
let rev = 0;

devices.on('connection', (socket) => {
  // Bench tokens for the relay are "relay:<vehicleId>".
  const token: unknown = (socket.handshake.auth as { token?: unknown }).token;
  const vehicleId = Number(typeof token === 'string' ? (token.split(':')[1] ?? 0) : 0);
  socket.emit('hello', {
    deviceId: vehicleId,
    vehicleId,
    highestStoredSeq: 0,
    maxBatchSamples: 1000,
    serverTime: Date.now(),
  });
  socket.on('telemetry', (batch: TelemetryBatch, ack: (reply: unknown) => void) => {
    let ackSeq = 0;
    const updates: VehicleUpdate[] = [];
    for (const sample of batch.samples) {
      ackSeq = Math.max(ackSeq, sample.seq);
      if (sample.kind === 'position') {
        updates.push({
          id: vehicleId,
          rev: ++rev,
          position: {
            ...sample,
            speedKmh: sample.speedKmh ?? null,
            headingDeg: null,
            altitudeM: null,
            hdop: null,
            satellites: null,
          },
        });
      }
    }
    ack({
      ok: true,
      ackSeq,
      highestStoredSeq: ackSeq,
      stored: batch.samples.length,
      duplicates: 0,
      rejected: [],
    });
    if (updates.length > 0) consoles.emit('vehicles', { cursor: { epoch, rev }, updates });
  });
});

consoles.on('connection', (socket) => {
  socket.emit('snapshot', {
    cursor: { epoch, rev },
    full: true,
    fleets: [],
    vehicles: [],
    serverTime: Date.now(),
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  process.stdout.write(`relay running at http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => {
  void io.close(() => process.exit(0));
});
