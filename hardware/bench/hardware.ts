/**
 * npm run bench:hardware — prints ONE JSON line:
 * - NMEA lines/s of our parser against the npm alternatives, all measured in
 *   this run on the ten shared receiver logs (plus how many lines each parses
 *   and how many positions agree with ours, which the tests check against gpsd);
 * - OBD values/s over a socat pseudo-terminal at 38400 baud against the ELM327
 *   simulator, single-PID and six-PID requests, beside the line's limit.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import GPS from 'gps';
import { parseUnsafeNmeaSentence } from 'nmea-simple';
import {
  DEMO_CITIES,
  Elm327Client,
  Elm327Simulator,
  ObdSession,
  PID,
  SimulatedVehicle,
  createSimulatedLink,
  generateCityRoute,
  parseNmeaSentence,
} from '../src/index.js';
import { listNmeaLogs, readNmeaLog } from '../test/gpsd-reference.js';

type Parse = (line: string) => { lat: number | null; lon: number | null } | null;

const latLon = (lat: unknown, lon: unknown): { lat: number | null; lon: number | null } => ({
  lat: typeof lat === 'number' && Number.isFinite(lat) ? lat : null,
  lon: typeof lon === 'number' && Number.isFinite(lon) ? lon : null,
});

const PARSERS: Record<string, Parse> = {
  fleetline: (line) => {
    const s = parseNmeaSentence(line);
    return 'lat' in s ? latLon(s.lat, s.lon) : latLon(null, null);
  },
  'nmea-simple@3.3.0': (line) => {
    const p = parseUnsafeNmeaSentence(line) as {
      latitude?: unknown;
      longitude?: unknown;
      sentenceId: string;
    };
    if (p.sentenceId === '?') return null;
    return latLon(p.latitude, p.longitude);
  },
  'gps@0.9.0': (line) => {
    const p = GPS.Parse(line) as
      false | { lat?: unknown; lon?: unknown; type?: string; valid?: boolean };
    if (!p || p.valid === false) return null;
    return latLon(p.lat, p.lon);
  },
};

function nmeaCorpus(): string[] {
  return listNmeaLogs().flatMap((name) =>
    readNmeaLog(name)
      .split(/\r?\n/)
      .filter((line) => line && !line.startsWith('#')),
  );
}

/** One timed pass of a parser over the corpus (repeated to last long enough to time). */
function timePass(parse: Parse, lines: readonly string[]): number {
  const start = performance.now();
  let sink = 0;
  for (let repeat = 0; repeat < 20; repeat += 1) {
    for (const line of lines) {
      try {
        if (parse(line)?.lat) sink += 1;
      } catch {
        sink -= 1;
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  // Keep the work observable so it cannot be optimised away.
  if (sink === Number.MIN_SAFE_INTEGER) process.stdout.write('');
  return (lines.length * 20) / seconds;
}

/** Median lines/s per parser, the parsers interleaved round by round so drift hits all alike. */
function measureParsers(lines: readonly string[], rounds: number): Record<string, number> {
  const rates = new Map<string, number[]>(Object.keys(PARSERS).map((name) => [name, []]));
  for (let round = 0; round < rounds + 2; round += 1) {
    for (const [name, parse] of Object.entries(PARSERS)) {
      const rate = timePass(parse, lines);
      if (round >= 2) rates.get(name)?.push(rate);
    }
  }
  const medians: Record<string, number> = {};
  for (const [name, list] of rates) {
    list.sort((a, b) => a - b);
    medians[name] = Math.round(list[Math.floor(list.length / 2)] ?? 0);
  }
  return medians;
}

function nmeaBench(): Record<string, unknown> {
  const lines = nmeaCorpus();
  const reference = lines.map((line) => {
    try {
      return PARSERS.fleetline?.(line) ?? null;
    } catch {
      return null;
    }
  });
  const results: Record<
    string,
    { linesPerSec: number; parsedLines: number; positionsAgreeing: number }
  > = {};
  const positions = reference.filter((r) => r?.lat !== null && r?.lat !== undefined).length;
  const speeds = measureParsers(lines, 15);
  for (const [name, parse] of Object.entries(PARSERS)) {
    let parsed = 0;
    let agreeing = 0;
    lines.forEach((line, i) => {
      try {
        const r = parse(line);
        if (r === null) return;
        parsed += 1;
        const ref = reference[i];
        if (ref?.lat != null && ref.lon != null && r.lat != null && r.lon != null) {
          if (Math.abs(ref.lat - r.lat) <= 1e-6 && Math.abs(ref.lon - r.lon) <= 1e-6) agreeing += 1;
        }
      } catch {
        // Counted as not parsed.
      }
    });
    results[name] = {
      linesPerSec: speeds[name] ?? 0,
      parsedLines: parsed,
      positionsAgreeing: agreeing,
    };
  }
  const chosen = results.fleetline;
  const alternatives = Object.entries(results).filter(([name]) => name !== 'fleetline');
  alternatives.sort((a, b) => b[1].linesPerSec - a[1].linesPerSec);
  const [bestName, best] = alternatives[0] ?? ['none', { linesPerSec: 0 }];
  return {
    corpusLines: lines.length,
    positionLines: positions,
    chosen: 'fleetline',
    linesPerSec: chosen?.linesPerSec,
    bestAlternative: bestName,
    bestAlternativeLinesPerSec: best.linesPerSec,
    speedup: Math.round(((chosen?.linesPerSec ?? 0) / Math.max(1, best.linesPerSec)) * 100) / 100,
    parsers: results,
  };
}

async function obdBench(durationMs: number): Promise<Record<string, unknown>> {
  const baudRate = 38400;
  const bytesPerSecond = baudRate / 10; // 8N1: ten bits per byte.
  const link = await createSimulatedLink({ kind: 'pty', baudRate });
  const vehicle = new SimulatedVehicle({
    route: generateCityRoute({
      center: DEMO_CITIES.berlin ?? { lat: 52.52, lon: 13.405 },
      seed: 9,
    }),
  });
  const sim = new Elm327Simulator({ vehicle, bytesPerSecond });
  await sim.attach(link.device);
  await link.host.open();
  let bytes = 0;
  link.host.onData((chunk) => (bytes += chunk.length));
  const write = link.host.write.bind(link.host);
  link.host.write = (data: Uint8Array | string) => {
    bytes += data.length;
    return write(data);
  };
  const client = new Elm327Client(link.host);
  await client.initialize();
  const obd = new ObdSession(client);
  const pids = [
    PID.RPM,
    PID.SPEED,
    PID.COOLANT_TEMP,
    PID.FUEL_LEVEL,
    PID.CONTROL_MODULE_VOLTAGE,
    PID.THROTTLE,
  ];
  const run = async (perRequest: number): Promise<Record<string, number>> => {
    bytes = 0;
    let values = 0;
    let requests = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      const chunk =
        perRequest === 1 ? [pids[requests % pids.length] ?? PID.RPM] : pids.slice(0, perRequest);
      values += (await obd.readPids(chunk)).filter((r) => r.ecu === '7E8').length;
      requests += 1;
      vehicle.step(0.05);
    }
    const seconds = (performance.now() - start) / 1000;
    const bytesPerValue = bytes / values;
    return {
      requests,
      valuesPerSec: Math.round((values / seconds) * 10) / 10,
      bytesPerValue: Math.round(bytesPerValue * 10) / 10,
      // What the line could carry if it never idled: bytes per second over bytes per value.
      lineLimitValuesPerSec: Math.round((bytesPerSecond / bytesPerValue) * 10) / 10,
    };
  };
  const single = await run(1);
  const multi = await run(6);
  await link.close();
  return {
    link: 'socat pty pair, simulator paced at the baud rate',
    baudRate,
    lineBytesPerSec: bytesPerSecond,
    single,
    multi6: multi,
    multiOverSingle:
      Math.round(((multi.valuesPerSec ?? 0) / Math.max(1, single.valuesPerSec ?? 1)) * 100) / 100,
  };
}

const nmea = nmeaBench();
const obd = await obdBench(Number(process.env.BENCH_OBD_MS ?? 5000));
process.stdout.write(
  `${JSON.stringify({
    bench: 'hardware',
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    nmea,
    obd,
  })}\n`,
);
