import { describe, expect, it } from 'vitest';
import { classifyReply, isErrorOutcome } from './replies.js';
import type { ElmOutcome } from './replies.js';

describe('classifyReply', () => {
  const cases: [string, ElmOutcome][] = [
    ['OK\r\r', 'ok'],
    ['?\r\r', 'unknown_command'],
    ['NO DATA\r\r', 'no_data'],
    ['SEARCHING...\r', 'searching'],
    ['SEARCHING...\rUNABLE TO CONNECT\r\r', 'unable_to_connect'],
    ['BUS INIT: ...ERROR\r\r', 'bus_init_error'],
    ['CAN ERROR\r\r', 'can_error'],
    ['BUS BUSY\r\r', 'bus_busy'],
    ['BUS ERROR\r\r', 'bus_error'],
    ['DATA ERROR\r\r', 'data_error'],
    ['41 0C 1A F8 <DATA ERROR\r\r', 'data_error_at'],
    ['BUFFER FULL\r\r', 'buffer_full'],
    ['STOPPED\r\r', 'stopped'],
    ['FB ERROR\r\r', 'fb_error'],
    ['LV RESET\r\r', 'lv_reset'],
    ['ACT ALERT\r\r', 'act_alert'],
    ['ERR94\r\r', 'internal_error'],
    ['7E8 06 41 00 BE 3F A8 13\r\r', 'data'],
    ['ELM327 v1.5\r\r', 'text'],
  ];
  for (const [raw, outcome] of cases) {
    it(`recognises ${JSON.stringify(raw.trim())} as ${outcome}`, () => {
      expect(classifyReply('0100', raw).outcome).toBe(outcome);
    });
  }

  it('treats every adapter message as an error outcome but data, text, OK and searching not', () => {
    const errors = cases.filter(([, o]) => isErrorOutcome(o)).map(([, o]) => o);
    expect(errors).toHaveLength(15);
    for (const outcome of ['ok', 'data', 'text', 'searching'] as const) {
      expect(isErrorOutcome(outcome)).toBe(false);
    }
  });

  it('drops the echo, CR/LF noise, NULs and SEARCHING... but remembers the search', () => {
    const reply = classifyReply('01 00', '0100\r\n\0SEARCHING...\r\n41 00 BE 3F A8 13\r\n\r\n');
    expect(reply.lines).toEqual(['41 00 BE 3F A8 13']);
    expect(reply.searched).toBe(true);
    expect(reply.outcome).toBe('data');
  });

  it('drops BUS INIT progress before the data of a legacy protocol', () => {
    const reply = classifyReply('0100', 'BUS INIT: ...OK\r48 6B 10 41 00 BE 3F A8 13 B9\r\r');
    expect(reply.lines).toEqual(['48 6B 10 41 00 BE 3F A8 13 B9']);
  });

  it('does not take a data line that happens to equal the command for echo after the first line', () => {
    const reply = classifyReply('0100', 'NO DATA\r0100\r');
    expect(reply.lines).toEqual(['NO DATA', '0100']);
    expect(reply.outcome).toBe('no_data');
  });

  it('reads multi-frame lines with line numbers as data', () => {
    const reply = classifyReply('0902', '014\r0: 49 02 01 31 46 4C\r1: 37 53 4D 56 33 48 50\r');
    expect(reply.outcome).toBe('data');
  });
});
