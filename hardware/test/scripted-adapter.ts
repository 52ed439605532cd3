import { createMemoryLink } from '../src/transports/memory.js';
import type { MemoryLink } from '../src/transports/memory.js';

export type ScriptedAnswer = string | null | ((command: string) => string | null);

/**
 * A hand-scripted adapter on the in-memory cable, for unit tests that need
 * exact bytes (split replies, stray frames, silence). `null` means no answer.
 * Every reply gets the prompt appended unless it already ends with one.
 */
export class ScriptedAdapter {
  readonly link: MemoryLink;
  readonly received: string[] = [];
  readonly #script: Map<string, ScriptedAnswer>;
  #fallback: ScriptedAnswer = '?\r\r>';
  #buffer = '';

  constructor(script: Record<string, ScriptedAnswer>, split?: (bytes: Uint8Array) => Uint8Array[]) {
    this.link = createMemoryLink(split ? { split } : {});
    this.#script = new Map(Object.entries(script));
    this.link.device.onData((chunk) => this.#receive(Buffer.from(chunk).toString('latin1')));
  }

  async start(): Promise<void> {
    await this.link.device.open();
    await this.link.host.open();
  }

  set(command: string, answer: ScriptedAnswer): void {
    this.#script.set(command, answer);
  }

  fallback(answer: ScriptedAnswer): void {
    this.#fallback = answer;
  }

  #receive(text: string): void {
    this.#buffer += text;
    for (;;) {
      const end = this.#buffer.indexOf('\r');
      if (end < 0) return;
      const command = this.#buffer.slice(0, end).trim().toUpperCase();
      this.#buffer = this.#buffer.slice(end + 1);
      this.received.push(command);
      const entry = this.#script.has(command) ? this.#script.get(command) : this.#fallback;
      const answer = typeof entry === 'function' ? entry(command) : entry;
      if (answer === null || answer === undefined) continue;
      const full = answer.endsWith('>') ? answer : `${answer}\r\r>`;
      void this.link.device.write(full);
    }
  }
}

/** Replies of a CAN 11-bit ELM327 with echo off and headers on, enough for initialize(). */
export function initScript(): Record<string, ScriptedAnswer> {
  return {
    ATZ: '\r\rELM327 v2.1\r\r>',
    ATE0: 'ATE0\rOK',
    ATL0: 'OK',
    ATS1: 'OK',
    ATH1: 'OK',
    ATAT1: 'OK',
    ATSP0: 'OK',
    ATSP6: 'OK',
    '0100': 'SEARCHING...\r7E8 06 41 00 BE 3F A8 13 00',
    ATDPN: 'A6',
  };
}
