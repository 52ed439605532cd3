import { NmeaStreamParser, SerialTransport, TcpTransport } from '@fleetline/hardware';
import type { Transport } from '@fleetline/hardware';
import { messageOf } from '../util/logger.js';

export type ProbeKind = 'elm327' | 'gps';

export interface ProbeResult {
  kind: ProbeKind | null;
  /** The baud rate that worked (serial only). */
  baudRate: number | null;
  /** ELM327 version line or NMEA talkers seen, for the report. */
  detail: string;
  error: string | null;
}

/** GPS receivers talk at 9600 (most u-blox, MediaTek) or 4800 (older SiRF), some faster. */
export const GPS_BAUD_RATES = [9600, 4800, 38400, 115200] as const;
/** ELM327 clones: 38400 (most), 9600 (genuine default), 115200 (faster clones). */
export const ELM_BAUD_RATES = [38400, 9600, 115200] as const;

export interface ProbeOptions {
  /** How long to listen for NMEA at each rate. */
  listenMs?: number;
  /** How long to listen before asking ATI: whatever talks by itself is not an idle ELM327. */
  quietMs?: number;
  /** How long to wait for the answer to ATI. */
  answerMs?: number;
  /** Which kind to try first (from the port's name). */
  prefer?: ProbeKind | null;
}

/**
 * Finds out what is on a serial port without disturbing it: first listen
 * (a GPS receiver talks by itself, an ELM327 stays silent), then ask `ATI`,
 * which only prints the adapter's version: no reset, nothing sent to the
 * vehicle. Each attempt opens and closes the port. Every ATI comes after a
 * moment of listening at that rate, even when an adapter is the likely
 * answer: NMEA heard then is a receiver (at that rate), and any other bytes
 * mean something that talks by itself, which gets no command.
 */
export async function probeSerialPort(
  portPath: string,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const listenMs = options.listenMs ?? 1500;
  const answerMs = options.answerMs ?? 1200;
  const quietMs = options.quietMs ?? 500;
  const attempts: { kind: ProbeKind; baudRate: number }[] = [];
  const gps = GPS_BAUD_RATES.map((baudRate) => ({ kind: 'gps' as const, baudRate }));
  const elm = ELM_BAUD_RATES.map((baudRate) => ({ kind: 'elm327' as const, baudRate }));
  // Listening first is harmless; asking ATI first is quicker for a likely adapter.
  if (options.prefer === 'elm327')
    attempts.push(elm[0]!, gps[0]!, ...elm.slice(1), ...gps.slice(1));
  else attempts.push(gps[0]!, elm[0]!, ...gps.slice(1), ...elm.slice(1));
  let lastError: string | null = null;
  for (const attempt of attempts) {
    const transport = new SerialTransport({ path: portPath, baudRate: attempt.baudRate });
    try {
      await transport.open();
    } catch (error) {
      // A port that cannot be opened at one rate cannot be opened at any.
      return { kind: null, baudRate: null, detail: '', error: messageOf(error) };
    }
    try {
      if (attempt.kind === 'gps') {
        const detail = await listenForNmea(transport, listenMs);
        if (detail) return { kind: 'gps', baudRate: attempt.baudRate, detail, error: null };
        continue;
      }
      const heard = await listen(transport, quietMs);
      if (heard.nmea)
        return { kind: 'gps', baudRate: attempt.baudRate, detail: heard.nmea, error: null };
      if (heard.bytes > 0) continue;
      const detail = await askElm327(transport, answerMs);
      if (detail) return { kind: 'elm327', baudRate: attempt.baudRate, detail, error: null };
    } catch (error) {
      lastError = messageOf(error);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  return { kind: null, baudRate: null, detail: '', error: lastError };
}

/**
 * Connects to a Wi-Fi adapter, listens a moment (a receiver streaming NMEA
 * over TCP talks by itself), then asks ATI if nothing spoke.
 */
export async function probeTcp(
  host: string,
  port: number,
  timeoutMs = 1500,
  quietMs = 500,
): Promise<ProbeResult> {
  const transport = new TcpTransport({ host, port, connectTimeoutMs: timeoutMs });
  try {
    await transport.open();
  } catch (error) {
    return { kind: null, baudRate: null, detail: '', error: messageOf(error) };
  }
  try {
    const heard = await listen(transport, quietMs);
    if (heard.nmea) return { kind: 'gps', baudRate: null, detail: heard.nmea, error: null };
    if (heard.bytes > 0) {
      return {
        kind: null,
        baudRate: null,
        detail: '',
        error: 'connected; it talks by itself, but not NMEA (not asked anything)',
      };
    }
    const detail = await askElm327(transport, timeoutMs);
    if (detail) return { kind: 'elm327', baudRate: null, detail, error: null };
    return {
      kind: null,
      baudRate: null,
      detail: '',
      error: 'connected, but no ELM327 answer and no NMEA',
    };
  } finally {
    await transport.close().catch(() => undefined);
  }
}

/** Resolves with a description of the NMEA heard, or '' if none within ms. */
export async function listenForNmea(transport: Transport, ms: number): Promise<string> {
  return (await listen(transport, ms)).nmea;
}

/** Listens only: the NMEA heard (described, or ''), and how many bytes arrived at all. */
function listen(transport: Transport, ms: number): Promise<{ nmea: string; bytes: number }> {
  const parser = new NmeaStreamParser();
  const talkers = new Set<string>();
  let good = 0;
  let bytes = 0;
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      off();
      offClose();
      resolve({ nmea: good > 0 ? `NMEA 0183 (${[...talkers].sort().join(', ')})` : '', bytes });
    };
    const timer = setTimeout(finish, ms);
    const off = transport.onData((chunk) => {
      bytes += chunk.length;
      for (const item of parser.push(chunk)) {
        if (!item.ok) continue;
        good += 1;
        talkers.add(`${item.sentence.talker}${item.sentence.type}`);
      }
      // Two good sentences are proof enough; no need to wait the full window.
      if (good >= 2) finish();
    });
    const offClose = transport.onClose(finish);
  });
}

/**
 * Sends ATI and resolves with the version line if an ELM327 answers within
 * ms, else ''. Never a bare CR: an idle ELM327 repeats its last command on
 * one, and the last command another tool sent might have been 04 (clear
 * trouble codes). A prompt without a version (noise in the adapter's input
 * made it '?') gets one more ATI.
 */
export async function askElm327(transport: Transport, ms: number): Promise<string> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const reply = await exchange(transport, 'ATI\r', ms);
    if (reply === null) return '';
    const version = /(ELM327[^\r\n>]*)/i.exec(reply);
    if (version?.[1]) return version[1].trim();
  }
  return '';
}

/** Writes a command; resolves with the text up to the prompt, or null without one in time. */
function exchange(transport: Transport, command: string, ms: number): Promise<string | null> {
  let text = '';
  return new Promise<string | null>((resolve, reject) => {
    const finish = (value: string | null): void => {
      clearTimeout(timer);
      off();
      offClose();
      resolve(value);
    };
    const timer = setTimeout(() => finish(null), ms);
    const off = transport.onData((chunk) => {
      text += Buffer.from(chunk).toString('latin1');
      if (text.includes('>')) finish(text);
    });
    const offClose = transport.onClose(() => finish(null));
    transport.write(command).catch((error: unknown) => {
      clearTimeout(timer);
      off();
      offClose();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}
