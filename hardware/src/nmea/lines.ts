/** Longest line we keep; NMEA allows 82 characters, some receivers exceed it a little. */
const MAX_LINE = 256;

/**
 * Splits a byte stream into lines (CRLF, LF or CR), whatever the chunk
 * boundaries. Overlong runs without a line end are dropped as noise.
 */
export class LineSplitter {
  #partial = '';
  #overlong = false;

  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      const line = this.#partial + text.slice(start, i);
      this.#partial = '';
      start = i + 1;
      if (this.#overlong) {
        this.#overlong = false;
        continue;
      }
      if (line.length > 0) lines.push(line);
    }
    this.#partial += text.slice(start);
    if (this.#partial.length > MAX_LINE) {
      this.#partial = '';
      this.#overlong = true;
    }
    return lines;
  }
}
