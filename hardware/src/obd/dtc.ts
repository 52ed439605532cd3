import type { DtcKind } from '@fleetline/protocol';
import { DTC_DESCRIPTIONS } from './dtc-descriptions.js';
import { ObdDecodeError } from './errors.js';

/** Request mode for each kind of trouble code: stored (03), pending (07), permanent (0A). */
export const DTC_MODES: Record<DtcKind, number> = { stored: 0x03, pending: 0x07, permanent: 0x0a };

export interface TroubleCode {
  /** e.g. 'P0301'. */
  code: string;
  system: 'powertrain' | 'chassis' | 'body' | 'network';
  /** SAE-defined (generic) codes have a 0 or 2 (P) / 0 (C, B, U) second character. */
  generic: boolean;
  /** Description for generic codes; null for manufacturer-specific ones we cannot know. */
  description: string | null;
}

const SYSTEMS = ['P', 'C', 'B', 'U'] as const;
const SYSTEM_NAMES = { P: 'powertrain', C: 'chassis', B: 'body', U: 'network' } as const;

/** Two bytes to a code: the top two bits pick P/C/B/U, the rest are four hex digits. */
export function dtcFromBytes(high: number, low: number): string {
  const system = SYSTEMS[high >> 6] ?? 'P';
  const first = (high >> 4) & 0x03;
  const rest = (((high & 0x0f) << 8) | low).toString(16).toUpperCase().padStart(3, '0');
  return `${system}${first}${rest}`;
}

export function describeTroubleCode(code: string): TroubleCode {
  const system = (code[0] ?? 'P') as keyof typeof SYSTEM_NAMES;
  const second = code[1] ?? '0';
  const generic = system === 'P' ? second === '0' || second === '2' : second === '0';
  return {
    code,
    system: SYSTEM_NAMES[system],
    generic,
    description: generic ? genericDescription(code) : null,
  };
}

function genericDescription(code: string): string | null {
  const known = DTC_DESCRIPTIONS[code];
  if (known) return known;
  // Cylinder-indexed families are regular enough to describe by rule.
  const n = Number.parseInt(code.slice(3), 10);
  const family = code.slice(0, 3);
  if (family === 'P03' && code[3] === '0' && n >= 1 && n <= 12)
    return `Cylinder ${n} misfire detected`;
  if (family === 'P02' && code[3] === '0' && n >= 1 && n <= 12)
    return `Injector circuit / open, cylinder ${n}`;
  if (family === 'P03' && code[3] === '5' && n >= 51 && n <= 62) {
    return `Ignition coil ${String.fromCharCode(64 + n - 50)} primary/secondary circuit`;
  }
  return null;
}

/**
 * Decodes the codes of one ECU's mode 03/07/0A answer (bytes after the
 * response SID). On CAN the first byte counts the codes; the legacy
 * protocols send codes three to a frame, padded with 0000.
 */
export function decodeTroubleCodes(data: Uint8Array, can: boolean): string[] {
  let body = data;
  if (can) {
    const count = data[0];
    if (count === undefined) throw new ObdDecodeError('trouble code answer without a count');
    body = data.subarray(1);
    if (body.length < count * 2) {
      throw new ObdDecodeError(
        `answer announces ${count} codes but carries ${Math.floor(body.length / 2)}`,
      );
    }
    body = body.subarray(0, count * 2);
  } else if (body.length % 2 !== 0) {
    throw new ObdDecodeError('trouble code answer has an odd number of bytes');
  }
  const codes: string[] = [];
  for (let i = 0; i + 1 < body.length; i += 2) {
    const high = body[i] ?? 0;
    const low = body[i + 1] ?? 0;
    if (high === 0 && low === 0) continue;
    codes.push(dtcFromBytes(high, low));
  }
  return codes;
}
