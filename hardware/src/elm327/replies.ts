/**
 * What an ELM327 said in answer to one command. Each adapter message has its
 * own outcome so the caller can tell "the car is off" (UNABLE TO CONNECT) from
 * "this PID is not supported" (NO DATA) from "the bus is broken" (CAN ERROR).
 */
export type ElmOutcome =
  | 'ok'
  | 'unknown_command'
  | 'no_data'
  | 'searching'
  | 'unable_to_connect'
  | 'bus_init_error'
  | 'can_error'
  | 'bus_busy'
  | 'bus_error'
  | 'data_error'
  | 'data_error_at'
  | 'buffer_full'
  | 'stopped'
  | 'fb_error'
  | 'lv_reset'
  | 'act_alert'
  | 'internal_error'
  | 'data'
  | 'text';

/** Outcomes that mean the request failed; `data`, `text`, `ok` and `searching` do not. */
export const ELM_ERROR_OUTCOMES: ReadonlySet<ElmOutcome> = new Set<ElmOutcome>([
  'unknown_command',
  'no_data',
  'unable_to_connect',
  'bus_init_error',
  'can_error',
  'bus_busy',
  'bus_error',
  'data_error',
  'data_error_at',
  'buffer_full',
  'stopped',
  'fb_error',
  'lv_reset',
  'act_alert',
  'internal_error',
]);

export interface ElmReply {
  command: string;
  outcome: ElmOutcome;
  /** Lines of the reply with echo, SEARCHING... and BUS INIT progress removed. */
  lines: string[];
  /** The adapter searched for the protocol before answering. */
  searched: boolean;
  /** The raw text before the prompt, for logs. */
  raw: string;
}

// Order matters: '<DATA ERROR' must win over 'DATA ERROR'.
const MESSAGE_OUTCOMES: readonly [RegExp, ElmOutcome][] = [
  [/^\?$/, 'unknown_command'],
  [/^NO DATA$/, 'no_data'],
  [/^UNABLE TO CONNECT$/, 'unable_to_connect'],
  [/^BUS INIT:.*ERROR$/, 'bus_init_error'],
  [/^CAN ERROR$/, 'can_error'],
  [/^BUS BUSY$/, 'bus_busy'],
  [/^BUS ERROR$/, 'bus_error'],
  [/<DATA ERROR$/, 'data_error_at'],
  [/^DATA ERROR$/, 'data_error'],
  [/^BUFFER FULL$/, 'buffer_full'],
  [/^STOPPED$/, 'stopped'],
  [/^FB ERROR$/, 'fb_error'],
  [/^LV RESET$/, 'lv_reset'],
  [/^ACT ALERT$/, 'act_alert'],
  [/^ERR\d\d$/, 'internal_error'],
  [/^OK$/, 'ok'],
];

// Data lines are hex digits, spaces and the `n:` line numbers of multi-frame replies.
const HEX_LINE = /^[0-9A-F][0-9A-F:\s]*$/;

/**
 * Classifies the text an adapter sent before its `>` prompt. Pure: the client
 * feeds it whatever arrived, with CR/LF line ends, echo and NUL noise intact.
 */
export function classifyReply(command: string, raw: string): ElmReply {
  const wanted = command.trim().toUpperCase();
  const compactCommand = wanted.replace(/\s+/g, '');
  let searched = false;
  const lines: string[] = [];
  for (const piece of raw.replace(/\0/g, '').split(/[\r\n]+/)) {
    const line = piece.trim();
    if (!line) continue;
    const upper = line.toUpperCase();
    // Echo is on until ATE0 has been processed (and again after a reset).
    if (lines.length === 0 && compactCommand && upper.replace(/\s+/g, '') === compactCommand) {
      continue;
    }
    if (upper === 'SEARCHING...' || upper === 'SEARCHING') {
      searched = true;
      continue;
    }
    if (/^BUS INIT:\s*\.*\s*(OK)?$/.test(upper)) continue;
    lines.push(line);
  }
  return { command: wanted, outcome: outcomeOf(lines, searched), lines, searched, raw };
}

function outcomeOf(lines: readonly string[], searched: boolean): ElmOutcome {
  if (lines.length === 0) return searched ? 'searching' : 'text';
  // An error line anywhere poisons the reply (a truncated data line may precede it).
  for (const line of lines) {
    const upper = line.toUpperCase();
    for (const [pattern, outcome] of MESSAGE_OUTCOMES) {
      if (outcome !== 'ok' && pattern.test(upper)) return outcome;
    }
  }
  if (lines.length === 1 && lines[0]?.toUpperCase() === 'OK') return 'ok';
  return lines.every((line) => HEX_LINE.test(line.toUpperCase())) ? 'data' : 'text';
}

export function isErrorOutcome(outcome: ElmOutcome): boolean {
  return ELM_ERROR_OUTCOMES.has(outcome);
}

export const OUTCOME_MESSAGES: Record<ElmOutcome, string> = {
  ok: 'OK',
  unknown_command: 'the adapter did not understand the command (?)',
  no_data: 'no ECU answered (NO DATA)',
  searching: 'the adapter is still searching for a protocol',
  unable_to_connect: 'no vehicle protocol found: is the ignition on? (UNABLE TO CONNECT)',
  bus_init_error: 'bus initialisation failed (BUS INIT: ...ERROR)',
  can_error: 'CAN bus error: wiring or bit rate (CAN ERROR)',
  bus_busy: 'the bus is too busy to send (BUS BUSY)',
  bus_error: 'bus error: wiring or short circuit (BUS ERROR)',
  data_error: 'the vehicle reply was garbled (DATA ERROR)',
  data_error_at: 'a frame failed its checksum (<DATA ERROR)',
  buffer_full: 'the adapter buffer overflowed (BUFFER FULL)',
  stopped: 'the adapter stopped: a byte arrived while it was working (STOPPED)',
  fb_error: 'feedback error on the bus output (FB ERROR)',
  lv_reset: 'the adapter reset on low voltage (LV RESET)',
  act_alert: 'the adapter went idle after bus inactivity (ACT ALERT)',
  internal_error: 'the adapter reported an internal error (ERRxx)',
  data: 'data',
  text: 'text',
};
