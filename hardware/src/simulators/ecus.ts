import { dtcToBytes } from './dtc-bytes.js';
import type { SimulatedVehicle } from './vehicle.js';

/** One simulated control unit: its addresses on each protocol and what it answers. */
export interface SimulatedEcu {
  name: string;
  /** 11-bit CAN response id, 29-bit CAN response id, legacy source address. */
  can11: string;
  can29: string;
  legacy: string;
  /** Service 01 PIDs this ECU answers, besides the 0x00/0x20/... bitmasks. */
  pids: ReadonlySet<number>;
  /** Answers service 01 for one PID, or null when unsupported. */
  mode01(pid: number): number[] | null;
  /** Answers any other service, or null to stay silent. */
  service(mode: number, data: readonly number[]): number[] | null;
}

export interface TroubleCodeSet {
  stored: string[];
  pending: string[];
  permanent: string[];
}

export interface EcmOptions {
  vehicle: SimulatedVehicle;
  vin: string;
  calibrationId: string;
  codes: TroubleCodeSet;
  /** Called when service 04 clears the codes. */
  onClear?: () => void;
}

const ECM_PIDS = [
  0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x13, 0x15, 0x1c,
  0x1f, 0x21, 0x2f, 0x30, 0x31, 0x33, 0x3c, 0x42, 0x43, 0x44, 0x45, 0x46, 0x49, 0x4d, 0x4e, 0x51,
  0x5c, 0x5e,
];

function u8(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

function u16(value: number): number[] {
  const v = Math.max(0, Math.min(65535, Math.round(value)));
  return [v >> 8, v & 0xff];
}

/** Bitmask answer for PID base (0x00, 0x20, ...) given the PIDs supported. */
export function supportBitmask(base: number, pids: ReadonlySet<number>): number[] | null {
  let mask = 0;
  for (let bit = 0; bit < 32; bit += 1) {
    const pid = base + bit + 1;
    // The last bit announces the next range when anything beyond is supported.
    const present = bit === 31 ? [...pids].some((p) => p > base + 0x20) : pids.has(pid);
    if (present) mask |= 0x80000000 >>> bit;
  }
  mask >>>= 0;
  if (base > 0 && ![...pids].some((p) => p > base && p <= base + 0x20)) return null;
  return [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
}

function ascii(text: string, length: number): number[] {
  const bytes = [...Buffer.from(text, 'latin1')].slice(0, length);
  while (bytes.length < length) bytes.push(0);
  return bytes;
}

export function createEngineEcu(options: EcmOptions): SimulatedEcu {
  const pids = new Set([...ECM_PIDS, 0x20, 0x40]);
  const { vehicle, codes } = options;
  const mode01 = (pid: number): number[] | null => {
    const s = vehicle.state;
    if (pid % 0x20 === 0 && pid <= 0xe0) return supportBitmask(pid, pids);
    if (!pids.has(pid)) return null;
    const milOn = codes.stored.length > 0 || codes.permanent.length > 0;
    switch (pid) {
      case 0x01:
        return [(milOn ? 0x80 : 0) | Math.min(codes.stored.length, 0x7f), 0x07, 0x65, 0x00];
      case 0x03:
        return [s.engineRunning ? (s.coolantC > 70 ? 0x02 : 0x01) : 0x00, 0x00];
      case 0x04:
        return [u8(s.engineLoadPct * 2.55)];
      case 0x05:
        return [u8(s.coolantC + 40)];
      case 0x06:
      case 0x07:
        return [u8(128 + (pid === 0x06 ? Math.sin(s.runTimeS) * 4 : 2))];
      case 0x0b:
        return [u8(s.intakeMapKpa)];
      case 0x0c:
        return u16(s.rpm * 4);
      case 0x0d:
        return [u8(s.speedKmh)];
      case 0x0e:
        return [u8((10 + s.engineLoadPct / 10 + 64) * 2)];
      case 0x0f:
        return [u8(s.intakeAirC + 40)];
      case 0x10:
        return u16(s.mafGps * 100);
      case 0x11:
        return [u8(s.throttlePct * 2.55)];
      case 0x13:
        return [0x03];
      case 0x15:
        return [u8(s.engineRunning ? 90 + Math.sin(s.runTimeS * 3) * 80 : 0), 0x80];
      case 0x1c:
        return [0x06];
      case 0x1f:
        return u16(s.runTimeS);
      case 0x21:
        return u16(milOn ? 42 : 0);
      case 0x2f:
        return [u8(s.fuelLevelPct * 2.55)];
      case 0x30:
        return [u8(Math.min(255, s.distanceSinceClearKm / 30))];
      case 0x31:
        return u16(s.distanceSinceClearKm);
      case 0x33:
        return [u8(s.barometricKpa)];
      case 0x3c:
        return u16((s.engineRunning ? 420 + s.engineLoadPct * 3 : s.ambientC + 40) * 10 + 400);
      case 0x42:
        return u16(s.batteryV * 1000);
      case 0x43:
        return u16((s.engineLoadPct * 255) / 100);
      case 0x44:
        return u16(32768);
      case 0x45:
        return [u8(s.throttlePct * 2.55 * 0.9)];
      case 0x46:
        return [u8(s.ambientC + 40)];
      case 0x49:
        return [u8(s.throttlePct * 2.55 * 0.8 + 38)];
      case 0x4d:
        return u16(milOn ? 95 : 0);
      case 0x4e:
        return u16(1440);
      case 0x51:
        return [0x01];
      case 0x5c:
        return [u8(s.oilC + 40)];
      case 0x5e:
        return u16(s.fuelRateLph * 20);
      default:
        return null;
    }
  };
  const service = (mode: number, data: readonly number[]): number[] | null => {
    switch (mode) {
      case 0x03:
        return troubleCodeAnswer(codes.stored);
      case 0x07:
        return troubleCodeAnswer(codes.pending);
      case 0x0a:
        return troubleCodeAnswer(codes.permanent);
      case 0x04:
        codes.stored.length = 0;
        codes.pending.length = 0;
        options.onClear?.();
        return [];
      case 0x09: {
        const infoType = data[0];
        if (infoType === 0x00) return [0x01, 0x54, 0x40, 0x00, 0x00];
        if (infoType === 0x02) return [0x01, ...ascii(options.vin, 17)];
        if (infoType === 0x04) return [0x01, ...ascii(options.calibrationId, 16)];
        if (infoType === 0x0a) return [0x01, ...ascii('ECM\0-EngineControl', 20)];
        return null;
      }
      default:
        // Services this ECU does not implement get a negative response.
        return [0x7f, mode, 0x11];
    }
  };
  return { name: 'ECM', can11: '7E8', can29: '18DAF110', legacy: '10', pids, mode01, service };
}

/** A transmission controller: answers the bitmask and a few PIDs, so replies carry two ECUs. */
export function createTransmissionEcu(vehicle: SimulatedVehicle): SimulatedEcu {
  const pids = new Set([0x0d, 0x1c]);
  return {
    name: 'TCM',
    can11: '7E9',
    can29: '18DAF118',
    legacy: '18',
    pids,
    mode01: (pid) => {
      if (pid === 0x00) return supportBitmask(0x00, pids);
      if (pid === 0x0d) return [u8(vehicle.state.speedKmh)];
      if (pid === 0x1c) return [0x06];
      return null;
    },
    service: (mode, data) => {
      if (mode === 0x09 && data[0] === 0x0a) return [0x01, ...ascii('TCM\0-TransmissionCtl', 20)];
      if (mode === 0x03 || mode === 0x07 || mode === 0x0a) return troubleCodeAnswer([]);
      return null;
    },
  };
}

function troubleCodeAnswer(codes: readonly string[]): number[] {
  return [codes.length, ...codes.flatMap(dtcToBytes)];
}
