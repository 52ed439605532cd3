import { describe, expect, it } from 'vitest';
import { IsoTpError, parseFrames } from './frames.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

/** 11-bit CAN frames (headers on) for a message, as an ECU would send them. */
function canFrames(header: string, message: number[]): string[] {
  const h = (bytes: number[]): string =>
    bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  if (message.length <= 7) return [`${header} ${h([message.length, ...message])}`];
  const lines = [
    `${header} ${h([0x10 | (message.length >> 8), message.length & 0xff, ...message.slice(0, 6)])}`,
  ];
  let seq = 1;
  for (let i = 6; i < message.length; i += 7) {
    lines.push(`${header} ${h([0x20 | seq, ...message.slice(i, i + 7)])}`);
    seq = (seq + 1) & 0x0f;
  }
  return lines;
}

const VIN = '1FL7SMV3HPC000001';
const vinMessage = [0x49, 0x02, 0x01, ...Buffer.from(VIN, 'latin1')];

describe('parseFrames, CAN 11-bit with headers', () => {
  it('reads a single frame and ignores the padding after its length', () => {
    const { messages, errors } = parseFrames(['7E8 06 41 00 BE 3F A8 13 00'], {
      family: 'can11',
      headers: true,
    });
    expect(errors).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.ecu).toBe('7E8');
    expect(hex(messages[0]?.bytes ?? new Uint8Array())).toBe('41 00 BE 3F A8 13');
  });

  it('reads the same frame printed without spaces (ATS0)', () => {
    const { messages } = parseFrames(['7E8064100BE3FA813'], { family: 'can11', headers: true });
    expect(hex(messages[0]?.bytes ?? new Uint8Array())).toBe('41 00 BE 3F A8 13');
  });

  it('reassembles a multi-frame VIN from first and consecutive frames', () => {
    const { messages, errors } = parseFrames(canFrames('7E8', vinMessage), {
      family: 'can11',
      headers: true,
    });
    expect(errors).toEqual([]);
    expect(text(messages[0]?.bytes.subarray(3) ?? new Uint8Array())).toBe(VIN);
  });

  it('follows the sequence number through its wrap from F to 0', () => {
    const long = Array.from({ length: 6 + 7 * 20 }, (_, i) => (i * 7) & 0xff);
    const lines = canFrames('7E8', long);
    expect(lines.some((l) => l.startsWith('7E8 20'))).toBe(true);
    const { messages, errors } = parseFrames(lines, { family: 'can11', headers: true });
    expect(errors).toEqual([]);
    expect([...(messages[0]?.bytes ?? [])]).toEqual(long);
  });

  it('reports a missing consecutive frame instead of gluing garbage', () => {
    const lines = canFrames('7E8', vinMessage);
    const { messages, errors } = parseFrames([lines[0] ?? '', lines[2] ?? ''], {
      family: 'can11',
      headers: true,
    });
    expect(messages).toEqual([]);
    expect(errors[0]).toBeInstanceOf(IsoTpError);
    expect(errors[0]?.message).toMatch(/frame 1 is missing/);
  });

  it('reports an answer that stops before its announced length', () => {
    const lines = canFrames('7E8', vinMessage);
    const { messages, errors } = parseFrames(lines.slice(0, 2), { family: 'can11', headers: true });
    expect(messages).toEqual([]);
    expect(errors[0]?.message).toMatch(/ended after 13 of 20 bytes/);
  });

  it('keeps two ECUs apart when their frames interleave, and one broken ECU does not spoil the other', () => {
    const ecm = canFrames('7E8', vinMessage);
    const tcm = canFrames('7E9', [0x49, 0x02, 0x01, ...Buffer.from('WVWZZZ1JZXW000001', 'latin1')]);
    const interleaved = [ecm[0], tcm[0], ecm[1], tcm[1], ecm[2], tcm[2]].map(String);
    const both = parseFrames(interleaved, { family: 'can11', headers: true });
    expect(both.errors).toEqual([]);
    expect(both.messages.map((m) => m.ecu).sort()).toEqual(['7E8', '7E9']);
    const broken = parseFrames([ecm[0], tcm[0], tcm[1], ecm[2], tcm[2]].map(String), {
      family: 'can11',
      headers: true,
    });
    expect(broken.messages.map((m) => m.ecu)).toEqual(['7E9']);
    expect(broken.errors.map((e) => e.ecu)).toEqual(['7E8']);
  });

  it('rejects a consecutive frame that has no first frame', () => {
    const { errors } = parseFrames(['7E8 21 41 42 43 44 45 46 47'], {
      family: 'can11',
      headers: true,
    });
    expect(errors[0]?.message).toMatch(/without a first frame/);
  });

  it('reports non-hex frame text as an error, not a crash', () => {
    const { messages, errors } = parseFrames(['7E8 06 41 0G'], { family: 'can11', headers: true });
    expect(messages).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});

describe('parseFrames, other formats', () => {
  it('reads 29-bit CAN headers', () => {
    const { messages } = parseFrames(['18 DA F1 10 03 41 0D 32 00 00 00 00'], {
      family: 'can29',
      headers: true,
    });
    expect(messages[0]?.ecu).toBe('18DAF110');
    expect(hex(messages[0]?.bytes ?? new Uint8Array())).toBe('41 0D 32');
  });

  it('reads legacy frames: three header bytes, data, and a checksum byte dropped', () => {
    const { messages } = parseFrames(['48 6B 10 41 0D 32 EB'], {
      family: 'iso9141',
      headers: true,
    });
    expect(messages[0]?.ecu).toBe('486B10');
    expect(hex(messages[0]?.bytes ?? new Uint8Array())).toBe('41 0D 32');
  });

  it('gives a KWP2000 ECU one id whatever the length its header announces', () => {
    const { messages } = parseFrames(['83 F1 11 41 0D 32 F7', '84 F1 11 41 0C 1A F8 B2'], {
      family: 'kwp2000',
      headers: true,
    });
    expect(messages.map((m) => m.ecu)).toEqual(['80F111', '80F111']);
    expect(messages.map((m) => hex(m.bytes))).toEqual(['41 0D 32', '41 0C 1A F8']);
  });

  it('reads a CAN multi-frame answer printed with headers off (length line and numbered lines)', () => {
    const lines = [
      '014',
      '0: 49 02 01 31 46 4C',
      '1: 37 53 4D 56 33 48 50',
      '2: 43 30 30 30 30 30 31',
    ];
    const { messages, errors } = parseFrames(lines, { family: 'can11', headers: false });
    expect(errors).toEqual([]);
    expect(text(messages[0]?.bytes.subarray(3) ?? new Uint8Array())).toBe(VIN);
  });

  it('reports a missing numbered line with headers off', () => {
    const lines = ['014', '0: 49 02 01 31 46 4C', '2: 43 30 30 30 30 30 31'];
    const { messages, errors } = parseFrames(lines, { family: 'can11', headers: false });
    expect(messages).toEqual([]);
    expect(errors[0]?.message).toMatch(/line 1 is missing/);
  });

  it('reads single frames with headers off as bare service bytes', () => {
    const { messages } = parseFrames(['41 0C 1A F8', '41 0C 1B 00'], {
      family: 'can11',
      headers: false,
    });
    expect(messages.map((m) => hex(m.bytes))).toEqual(['41 0C 1A F8', '41 0C 1B 00']);
  });
});
