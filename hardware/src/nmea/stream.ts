import type { HardwareError } from '../errors.js';
import { NmeaFormatError } from './errors.js';
import { LineSplitter } from './lines.js';
import { parseNmeaSentence } from './parse.js';
import type { ParseOptions } from './parse.js';
import type { NmeaSentence } from './types.js';

export type NmeaStreamItem =
  { ok: true; sentence: NmeaSentence } | { ok: false; line: string; error: HardwareError };

/**
 * Bytes in, sentences out. A bad line (checksum, garbage, truncated) is
 * reported as an item and the stream goes on: one noisy line never stops a receiver.
 */
export class NmeaStreamParser {
  readonly #lines = new LineSplitter();
  readonly #options: ParseOptions;

  constructor(options: ParseOptions = {}) {
    this.#options = options;
  }

  push(chunk: Uint8Array | string): NmeaStreamItem[] {
    const items: NmeaStreamItem[] = [];
    for (const line of this.#lines.push(chunk)) {
      if (line.charCodeAt(0) === 35 /* # comment in captured logs */) continue;
      try {
        items.push({ ok: true, sentence: parseNmeaSentence(line, this.#options) });
      } catch (error) {
        const hardwareError =
          error instanceof NmeaFormatError || (error instanceof Error && 'type' in error)
            ? (error as HardwareError)
            : new NmeaFormatError(line, String(error));
        items.push({ ok: false, line, error: hardwareError });
      }
    }
    return items;
  }
}
