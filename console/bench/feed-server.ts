import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Server } from 'socket.io';
import { CONSOLE_NAMESPACE } from '@fleetline/protocol';
import type { FleetSnapshotMessage, VehicleSnapshot, VehicleUpdate } from '@fleetline/protocol';

export interface SyntheticFeedOptions {
  /** The built benchmark page to serve. */
  pageDir: string;
  vehicles: number;
  /** How often each vehicle reports (Hz). */
  updateHz: number;
  /** The server's console flush interval: updates go out in this many slices per second. */
  flushMs: number;
  center: { lat: number; lon: number };
  /** Vehicles are spread over a square of this half-size (metres). */
  radiusM: number;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.geojson': 'application/geo+json',
  '.pbf': 'application/x-protobuf',
  '.json': 'application/json',
};

interface Mover {
  lat: number;
  lon: number;
  headingDeg: number;
  speedKmh: number;
}

/**
 * A stand-in for the server that speaks the console protocol and nothing
 * else: it serves the benchmark page and feeds every console a full
 * snapshot, then position and reading updates for every vehicle at
 * `updateHz`, sliced into one message per `flushMs` as the real server's
 * console feed does. It measures the console, not the server.
 */
export async function startSyntheticFeed(options: SyntheticFeedOptions) {
  const mPerDegLat = 111_320;
  const mPerDegLon = 111_320 * Math.cos((options.center.lat * Math.PI) / 180);
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const movers: Mover[] = Array.from({ length: options.vehicles }, () => ({
    lat: options.center.lat + ((random() * 2 - 1) * options.radiusM) / mPerDegLat,
    lon: options.center.lon + ((random() * 2 - 1) * options.radiusM) / mPerDegLon,
    headingDeg: Math.floor(random() * 4) * 90,
    speedKmh: random() < 0.2 ? 0 : 20 + random() * 40,
  }));
  let rev = 0;
  const epoch = `bench-${Date.now()}`;
  const now = () => Date.now();

  const snapshotOf = (id: number, m: Mover): VehicleSnapshot => ({
    id,
    name: `Vehicle ${String(id).padStart(5, '0')}`,
    plate: `B-BM ${id}`,
    vin: null,
    fleetIds: [1],
    deviceId: id,
    driver: null,
    online: true,
    lastSeenAt: now(),
    overspeed: false,
    position: {
      t: now(),
      lat: m.lat,
      lon: m.lon,
      speedKmh: m.speedKmh,
      headingDeg: m.headingDeg,
      altitudeM: 35,
      hdop: 0.9,
      satellites: 9,
      fixQuality: 'gps',
    },
    status: { t: now(), batteryV: 14.1, ignition: true, gpsFix: 'gps' },
    readings: [],
    dtcs: [],
    rev: ++rev,
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    if (url.pathname === '/api/config') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ map: { mapboxToken: null, styleUrl: null }, version: 'bench' }));
      return;
    }
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(options.pageDir, `.${path.posix.normalize(relative)}`);
    if (
      !file.startsWith(path.resolve(options.pageDir)) ||
      !fs.existsSync(file) ||
      fs.statSync(file).isDirectory()
    ) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', MIME[path.extname(file)] ?? 'application/octet-stream');
    fs.createReadStream(file).pipe(res);
  });
  const io = new Server(server, { serveClient: false, maxHttpBufferSize: 16 * 1024 * 1024 });
  const consoles = io.of(CONSOLE_NAMESPACE);
  consoles.on('connection', (socket) => {
    const message: FleetSnapshotMessage = {
      cursor: { epoch, rev },
      full: true,
      fleets: [{ id: 1, name: 'Benchmark', overspeedLimitKmh: 50 }],
      vehicles: movers.map((m, i) => snapshotOf(i + 1, m)),
      serverTime: now(),
    };
    socket.emit('snapshot', message);
  });

  // Every vehicle reports once per 1/updateHz s; each flush carries one slice of them.
  const slices = Math.max(1, Math.round(1000 / options.updateHz / options.flushMs));
  let slice = 0;
  let updatesSent = 0;
  const timer = setInterval(() => {
    const t = now();
    const updates: VehicleUpdate[] = [];
    for (let i = slice; i < movers.length; i += slices) {
      const m = movers[i] as Mover;
      const stepM = m.speedKmh / 3.6 / options.updateHz;
      const rad = (m.headingDeg * Math.PI) / 180;
      m.lat += (Math.cos(rad) * stepM) / mPerDegLat;
      m.lon += (Math.sin(rad) * stepM) / mPerDegLon;
      // Turn back at the edge of the area, like a vehicle on its round.
      if (
        Math.abs(m.lat - options.center.lat) * mPerDegLat > options.radiusM ||
        Math.abs(m.lon - options.center.lon) * mPerDegLon > options.radiusM
      )
        m.headingDeg = (m.headingDeg + 180) % 360;
      updates.push({
        id: i + 1,
        rev: ++rev,
        lastSeenAt: t,
        position: {
          t,
          lat: m.lat,
          lon: m.lon,
          speedKmh: m.speedKmh,
          headingDeg: m.headingDeg,
          altitudeM: 35,
          hdop: 0.9,
          satellites: 9,
          fixQuality: 'gps',
        },
        readings: [
          { pid: 0x0d, part: 0, t, value: Math.round(m.speedKmh), unit: 'km/h' },
          {
            pid: 0x0c,
            part: 0,
            t,
            value: m.speedKmh > 0 ? 1500 + m.speedKmh * 20 : 780,
            unit: 'rpm',
          },
        ],
      });
    }
    slice = (slice + 1) % slices;
    updatesSent += updates.length;
    consoles.emit('vehicles', { cursor: { epoch, rev }, updates });
  }, options.flushMs);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    updatesSent: () => updatesSent,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        void io.close(() => resolve());
      }),
  };
}
