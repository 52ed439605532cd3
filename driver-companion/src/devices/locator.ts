import { SerialTransport, TcpTransport } from '@fleetline/hardware';
import type { Transport } from '@fleetline/hardware';
import type { Logger } from '../util/logger.js';
import type { DeviceRole } from './endpoints.js';
import { probeSerialPort, probeTcp } from './probe.js';
import type { ProbeKind, ProbeResult } from './probe.js';
import { listSerialCandidates } from './serial-ports.js';
import type { SerialCandidate } from './serial-ports.js';

export interface LocatedDevice {
  /** Identity while claimed (the real device path, or host:port). */
  key: string;
  label: string;
  create(): Transport;
}

export class DeviceNotFoundError extends Error {
  readonly type = 'device_not_found';

  constructor(role: DeviceRole, looked: string) {
    super(`no ${role === 'obd' ? 'ELM327 adapter' : 'GPS receiver'} found (looked at ${looked})`);
    this.name = 'DeviceNotFoundError';
  }
}

export interface DeviceLocatorOptions {
  logger: Logger;
  listCandidates?: () => Promise<SerialCandidate[]>;
  probeSerial?: (path: string, prefer: ProbeKind | null) => Promise<ProbeResult>;
  probeTcp?: (host: string, port: number) => Promise<ProbeResult>;
  /** Wi-Fi adapters to try for OBD; most sit at 192.168.0.10:35000. */
  tcpTargets?: readonly { host: string; port: number }[];
}

/** How long a probe result is trusted for the other role's search. */
const REMEMBER_MS = 60_000;

/**
 * Finds the ports `devices.*.transport: auto` should use. Searches run one
 * at a time (two probes on one port would garble each other), a port in use
 * by one role is never probed for the other, and what a probe learns about
 * a port is remembered for a minute, so finding the GPS receiver while
 * looking for the adapter does not cost the GPS search a second probe.
 */
export class DeviceLocator {
  readonly #logger: Logger;
  readonly #list: () => Promise<SerialCandidate[]>;
  readonly #probeSerial: NonNullable<DeviceLocatorOptions['probeSerial']>;
  readonly #probeTcp: NonNullable<DeviceLocatorOptions['probeTcp']>;
  readonly #tcpTargets: readonly { host: string; port: number }[];
  readonly #claimed = new Map<string, DeviceRole>();
  readonly #known = new Map<string, { result: ProbeResult; at: number }>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: DeviceLocatorOptions) {
    this.#logger = options.logger;
    this.#list = options.listCandidates ?? (() => listSerialCandidates());
    this.#probeSerial =
      options.probeSerial ?? ((path, prefer) => probeSerialPort(path, { prefer }));
    this.#probeTcp = options.probeTcp ?? ((host, port) => probeTcp(host, port));
    this.#tcpTargets = options.tcpTargets ?? [{ host: '192.168.0.10', port: 35000 }];
  }

  find(role: DeviceRole): Promise<LocatedDevice> {
    const run = () => this.#find(role);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  release(key: string): void {
    this.#claimed.delete(key);
    this.#known.delete(key);
  }

  async #find(role: DeviceRole): Promise<LocatedDevice> {
    const wanted: ProbeKind = role === 'obd' ? 'elm327' : 'gps';
    const candidates = (await this.#list()).filter((c) => !this.#claimed.has(c.realPath));
    // Likely ports first: a by-id name that says GPS, or a ttyACM, for the receiver.
    candidates.sort((a, b) => rank(b, role) - rank(a, role));
    for (const candidate of candidates) {
      const result = await this.#probeCached(candidate.realPath, () =>
        this.#probeSerial(
          candidate.path,
          candidate.hint === 'obd' ? 'elm327' : candidate.hint === 'gps' ? 'gps' : null,
        ),
      );
      if (result.kind !== wanted || result.baudRate === null) continue;
      this.#claimed.set(candidate.realPath, role);
      const baudRate = result.baudRate;
      this.#logger.info(
        { role, path: candidate.path, baudRate, detail: result.detail },
        'device found by auto-detection',
      );
      return {
        key: candidate.realPath,
        label: `serial:${candidate.path}@${baudRate} (${result.detail})`,
        create: () => new SerialTransport({ path: candidate.path, baudRate }),
      };
    }
    if (role === 'obd') {
      for (const target of this.#tcpTargets) {
        const key = `${target.host}:${target.port}`;
        if (this.#claimed.has(key)) continue;
        const result = await this.#probeCached(key, () => this.#probeTcp(target.host, target.port));
        if (result.kind !== 'elm327') continue;
        this.#claimed.set(key, role);
        this.#logger.info(
          { role, address: key, detail: result.detail },
          'device found by auto-detection',
        );
        return {
          key,
          label: `tcp:${key} (${result.detail})`,
          create: () => new TcpTransport({ host: target.host, port: target.port }),
        };
      }
    }
    const looked = [
      ...candidates.map((c) => c.path),
      ...(role === 'obd' ? this.#tcpTargets.map((t) => `tcp:${t.host}:${t.port}`) : []),
    ];
    throw new DeviceNotFoundError(
      role,
      looked.length > 0 ? looked.join(', ') : 'no serial ports present',
    );
  }

  async #probeCached(key: string, probe: () => Promise<ProbeResult>): Promise<ProbeResult> {
    const known = this.#known.get(key);
    if (known && Date.now() - known.at < REMEMBER_MS) return known.result;
    const result = await probe();
    this.#known.set(key, { result, at: Date.now() });
    return result;
  }
}

function rank(candidate: SerialCandidate, role: DeviceRole): number {
  if (candidate.hint === role) return 2;
  if (candidate.hint === null) return 1;
  return 0;
}
