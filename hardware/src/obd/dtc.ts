import type { DtcKind } from '@fleetline/protocol';
import { ObdDecodeError } from './errors.js';

// What codes mean is shared with the console, so it lives in protocol.
export { describeTroubleCode } from '@fleetline/protocol';
export type { TroubleCode } from '@fleetline/protocol';

/** Request mode for each kind of trouble code: stored (03), pending (07), permanent (0A). */
export const DTC_MODES: Record<DtcKind, number> = { stored: 0x03, pending: 0x07, permanent: 0x0a };

const SYSTEMS = ['P', 'C', 'B', 'U'] as const;

/** Two bytes to a code: the top two bits pick P/C/B/U, the rest are four hex digits. */
export function dtcFromBytes(high: number, low: number): string {
  const system = SYSTEMS[high >> 6] ?? 'P';
  const first = (high >> 4) & 0x03;
  const rest = (((high & 0x0f) << 8) | low).toString(16).toUpperCase().padStart(3, '0');
  return `${system}${first}${rest}`;
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
