import type { EcuMessage } from '../elm327/frames.js';
import { ObdDecodeError } from './errors.js';

export const INFO_TYPE = { VIN: 0x02, CALIBRATION_ID: 0x04, CVN: 0x06, ECU_NAME: 0x0a } as const;

const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;

/**
 * The data items of a service 09 answer. On CAN one message carries
 * `49 <type> <count> data...`; the legacy protocols send several messages
 * `49 <type> <seq> d d d d`, which are ordered by sequence and joined.
 */
export function infoTypePayload(
  messages: readonly EcuMessage[],
  infoType: number,
  can: boolean,
): Uint8Array {
  const answers = messages.filter((m) => m.bytes[0] === 0x49 && m.bytes[1] === infoType);
  if (answers.length === 0) throw new ObdDecodeError('no service 09 answer');
  if (can) {
    const bytes = answers[0]?.bytes ?? new Uint8Array();
    return bytes.subarray(3);
  }
  const bySeq = [...answers].sort((a, b) => (a.bytes[2] ?? 0) - (b.bytes[2] ?? 0));
  const seqs = bySeq.map((m) => m.bytes[2] ?? 0);
  for (let i = 0; i < seqs.length; i += 1) {
    if (seqs[i] !== i + 1) throw new ObdDecodeError(`service 09 message ${i + 1} is missing`);
  }
  const parts = bySeq.map((m) => m.bytes.subarray(3));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** The VIN: exactly 17 characters, padding removed, checked against the VIN alphabet. */
export function decodeVin(payload: Uint8Array): string {
  // Legacy protocols pad the first message with NULs; some ECUs pad at the end.
  const text = Buffer.from(payload).toString('latin1').replace(/\0/g, '').trim();
  if (!VIN_PATTERN.test(text)) {
    throw new ObdDecodeError(`not a 17-character VIN: ${JSON.stringify(text)}`);
  }
  return text;
}

/** Calibration IDs: 16 ASCII bytes each, NUL padded. */
export function decodeCalibrationIds(payload: Uint8Array): string[] {
  if (payload.length % 16 !== 0) {
    throw new ObdDecodeError(`calibration IDs come in 16-byte blocks, got ${payload.length} bytes`);
  }
  const ids: string[] = [];
  for (let i = 0; i < payload.length; i += 16) {
    const id = Buffer.from(payload.subarray(i, i + 16))
      .toString('latin1')
      .replace(/\0+$/g, '');
    if (id) ids.push(id);
  }
  return ids;
}

/** ECU name: 20 ASCII bytes, a 4-character acronym, '-' and a 15-character name, NUL padded. */
export function decodeEcuName(payload: Uint8Array): string {
  if (payload.length < 20)
    throw new ObdDecodeError(`ECU name needs 20 bytes, got ${payload.length}`);
  const text = Buffer.from(payload.subarray(0, 20)).toString('latin1');
  const acronym = text.slice(0, 4).replace(/\0/g, '');
  const name = text.slice(5).replace(/\0/g, '');
  return text[4] === '-' ? `${acronym}-${name}` : text.replace(/\0/g, '');
}
