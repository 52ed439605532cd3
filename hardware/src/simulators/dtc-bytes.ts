const SYSTEM_BITS: Record<string, number> = { P: 0, C: 1, B: 2, U: 3 };

/** 'P0301' to its two bytes on the wire (the inverse of dtcFromBytes). */
export function dtcToBytes(code: string): [number, number] {
  const match = /^([PCBU])([0-3])([0-9A-F]{3})$/.exec(code.toUpperCase());
  if (!match) throw new Error(`not a trouble code: ${code}`);
  const system = SYSTEM_BITS[match[1] ?? 'P'] ?? 0;
  const first = Number(match[2]);
  const rest = Number.parseInt(match[3] ?? '0', 16);
  return [(system << 6) | (first << 4) | (rest >> 8), rest & 0xff];
}
