/**
 * GATT layouts that BLE ELM327 adapters are known to use. Vendors copy one
 * another, so three serial-over-GATT profiles cover nearly every adapter sold.
 */
export interface GattSerialProfile {
  name: string;
  service: string;
  notify: string;
  write: string;
}

export const KNOWN_GATT_PROFILES: readonly GattSerialProfile[] = [
  // HM-10 style modules (Veepeak, most "OBDII BLE" clones): one characteristic both ways.
  { name: 'FFE0/FFE1', service: 'ffe0', notify: 'ffe1', write: 'ffe1' },
  // Vgate iCar Pro and similar: separate notify and write characteristics.
  { name: 'FFF0/FFF1+FFF2', service: 'fff0', notify: 'fff1', write: 'fff2' },
  // Vlinker and adapters following the "18F0" layout.
  { name: '18F0/2AF0+2AF1', service: '18f0', notify: '2af0', write: '2af1' },
];

/** Services every BLE device has; never the serial channel. */
const STANDARD_SERVICES = new Set(['1800', '1801', '180a', '180f']);

const BASE_UUID_SUFFIX = '00001000800000805f9b34fb';

/** noble reports 16-bit UUIDs as 'ffe0' and 128-bit ones without dashes; compare in one form. */
export function normalizeUuid(uuid: string): string {
  const compact = uuid.toLowerCase().replace(/-/g, '');
  if (compact.length === 32 && compact.startsWith('0000') && compact.endsWith(BASE_UUID_SUFFIX)) {
    return compact.slice(4, 8);
  }
  return compact;
}

export interface GattCharacteristicInfo {
  uuid: string;
  properties: readonly string[];
}

export interface GattServiceInfo {
  uuid: string;
  characteristics: readonly GattCharacteristicInfo[];
}

export interface GattMatch {
  service: string;
  notify: string;
  write: string;
  /** The known profile that matched, or null when the pair was guessed. */
  profile: string | null;
  /** Write without response when that is all the characteristic allows. */
  writeWithoutResponse: boolean;
}

function canNotify(c: GattCharacteristicInfo): boolean {
  return c.properties.includes('notify') || c.properties.includes('indicate');
}

function canWrite(c: GattCharacteristicInfo): boolean {
  return c.properties.includes('write') || c.properties.includes('writeWithoutResponse');
}

function prefersWithoutResponse(c: GattCharacteristicInfo): boolean {
  return !c.properties.includes('write') && c.properties.includes('writeWithoutResponse');
}

/**
 * Picks the serial channel: a known profile first (in table order), and only
 * when none is present a guess: the first non-standard service with a notify
 * and a write characteristic.
 */
export function matchGattProfile(services: readonly GattServiceInfo[]): GattMatch | null {
  const byUuid = new Map(services.map((s) => [normalizeUuid(s.uuid), s]));
  for (const profile of KNOWN_GATT_PROFILES) {
    const service = byUuid.get(profile.service);
    if (!service) continue;
    const chars = new Map(service.characteristics.map((c) => [normalizeUuid(c.uuid), c]));
    const notify = chars.get(profile.notify);
    const write = chars.get(profile.write);
    if (notify && write && canNotify(notify) && canWrite(write)) {
      return {
        service: profile.service,
        notify: profile.notify,
        write: profile.write,
        profile: profile.name,
        writeWithoutResponse: prefersWithoutResponse(write),
      };
    }
  }
  for (const service of services) {
    const serviceUuid = normalizeUuid(service.uuid);
    if (STANDARD_SERVICES.has(serviceUuid)) continue;
    const notify = service.characteristics.find(canNotify);
    // Prefer a distinct write characteristic; fall back to a bidirectional one.
    const write =
      service.characteristics.find((c) => canWrite(c) && c !== notify) ??
      service.characteristics.find(canWrite);
    if (notify && write) {
      return {
        service: serviceUuid,
        notify: normalizeUuid(notify.uuid),
        write: normalizeUuid(write.uuid),
        profile: null,
        writeWithoutResponse: prefersWithoutResponse(write),
      };
    }
  }
  return null;
}

/** ATT payload per write: the negotiated MTU less the 3-byte ATT header; 20 before negotiation. */
export function writeChunkSize(mtu: number | null | undefined): number {
  if (!mtu || !Number.isFinite(mtu) || mtu < 23) return 20;
  return Math.min(mtu - 3, 512);
}

export function splitForWrite(bytes: Uint8Array, chunkSize: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  }
  return chunks;
}
