import { describe, expect, it } from 'vitest';
import { ScriptedAdapter, initScript } from '../../test/scripted-adapter.js';
import type { ScriptedAnswer } from '../../test/scripted-adapter.js';
import { GuardError } from '../errors.js';
import { Elm327Client } from '../elm327/client.js';
import type { AdapterReplyError } from '../elm327/errors.js';
import { ObdNegativeResponseError, ReplyMismatchError } from './errors.js';
import { CLEAR_TROUBLE_CODES_CONFIRMATION, ObdSession } from './session.js';
import type { ClearTroubleCodesOptions } from './session.js';

async function session(
  extra: Record<string, ScriptedAnswer>,
): Promise<{ obd: ObdSession; adapter: ScriptedAdapter }> {
  const adapter = new ScriptedAdapter({ ...initScript(), ...extra });
  await adapter.start();
  const elm = new Elm327Client(adapter.link.host);
  await elm.initialize();
  return { obd: new ObdSession(elm), adapter };
}

describe('ObdSession', () => {
  it('never decodes a stray frame as the answer to another request', async () => {
    const { obd } = await session({ '010C': '7E8 03 41 0D 32 00 00 00 00' });
    await expect(obd.readPids([0x0c])).rejects.toBeInstanceOf(ReplyMismatchError);
  });

  it('keeps the matching frame and drops a stray one in the same reply', async () => {
    const { obd } = await session({
      '010C': '7E8 03 41 0D 32 00 00 00 00\r7E8 04 41 0C 1A F8 00 00 00',
    });
    const readings = await obd.readPids([0x0c]);
    expect(readings.map((r) => [r.pid, r.value])).toEqual([[0x0c, 1726]]);
  });

  it('asks up to six PIDs at once on CAN and merges the answers of several ECUs', async () => {
    const { obd, adapter } = await session({
      '010C0D05112F42':
        '7E8 10 0F 41 0C 1A F8 0D 32\r7E9 03 41 0D 32 00 00 00 00\r7E8 21 05 7B 11 33 2F 80 42\r7E8 22 37 14 00 00 00 00 00',
      '0104': '7E8 03 41 04 80 00 00 00 00',
    });
    const readings = await obd.readPids([0x0c, 0x0d, 0x05, 0x11, 0x2f, 0x42, 0x04]);
    expect(adapter.received.slice(-2)).toEqual(['010C0D05112F42', '0104']);
    expect(readings.filter((r) => r.ecu === '7E8').map((r) => r.pid)).toEqual([
      0x0c, 0x0d, 0x05, 0x11, 0x2f, 0x42, 0x04,
    ]);
    expect(readings.filter((r) => r.ecu === '7E9').map((r) => [r.pid, r.value])).toEqual([
      [0x0d, 50],
    ]);
  });

  it('keeps the answered PIDs when one request of several gets NO DATA', async () => {
    const { obd } = await session({
      '010C0D05112F42':
        '7E8 10 0F 41 0C 1A F8 0D 32\r7E8 21 05 7B 11 33 2F 80 42\r7E8 22 37 14 00 00 00 00 00',
      '015C': 'NO DATA',
    });
    const readings = await obd.readPids([0x0c, 0x0d, 0x05, 0x11, 0x2f, 0x42, 0x5c]);
    expect(readings.map((r) => r.pid)).toEqual([0x0c, 0x0d, 0x05, 0x11, 0x2f, 0x42]);
    await expect(obd.readPids([0x5c])).rejects.toMatchObject({ outcome: 'no_data' });
  });

  it('walks the supported-PID bitmasks while each announces the next', async () => {
    const { obd, adapter } = await session({
      '0100': '7E8 06 41 00 80 00 00 01 00',
      '0120': '7E8 06 41 20 80 00 00 00 00',
    });
    expect(await obd.supportedPids()).toEqual([0x01, 0x20, 0x21]);
    expect(adapter.received).not.toContain('0140');
  });

  it('ends the walk with what it has when an ECU refuses the range it announced', async () => {
    const { obd } = await session({
      '0100': '7E8 06 41 00 80 00 00 01 00',
      '0120': '7E8 03 7F 01 12',
    });
    expect(await obd.supportedPids()).toEqual([0x01, 0x20]);
  });

  it('reports a negative response with its code', async () => {
    const { obd } = await session({ '0A': '7E8 03 7F 0A 11 00 00 00 00' });
    const error: unknown = await obd.readTroubleCodes('permanent').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObdNegativeResponseError);
    expect((error as ObdNegativeResponseError).code).toBe(0x11);
  });

  it('reads trouble codes per ECU with descriptions', async () => {
    const { obd } = await session({
      '03': '7E8 06 43 02 03 01 04 20 00\r7E9 02 43 00 00 00 00 00 00',
    });
    const reports = await obd.readTroubleCodes('stored');
    expect(reports).toEqual([
      {
        ecu: '7E8',
        kind: 'stored',
        codes: [
          expect.objectContaining({ code: 'P0301', description: 'Cylinder 1 misfire detected' }),
          expect.objectContaining({ code: 'P0420' }),
        ],
      },
      { ecu: '7E9', kind: 'stored', codes: [] },
    ]);
  });

  it('clears codes only with the explicit confirmation', async () => {
    const { obd, adapter } = await session({ '04': '7E8 01 44 00 00 00 00 00 00' });
    const wrong = { confirm: 'yes' } as unknown as ClearTroubleCodesOptions;
    await expect(obd.clearTroubleCodes(wrong)).rejects.toBeInstanceOf(GuardError);
    expect(adapter.received).not.toContain('04');
    await obd.clearTroubleCodes({ confirm: CLEAR_TROUBLE_CODES_CONFIRMATION });
    expect(adapter.received).toContain('04');
  });

  it('passes adapter errors through as their own outcome', async () => {
    const { obd } = await session({ '010C': 'CAN ERROR' });
    const error: unknown = await obd.readPids([0x0c]).catch((e: unknown) => e);
    expect((error as AdapterReplyError).outcome).toBe('can_error');
  });

  it('reads the VIN from the module that has one, even when a blank one finishes first', async () => {
    // 1FL7SMV3HPC000001 from the engine ECU (7E8); the TCM (7E9) answers with NULs, and sooner.
    const ecm = [
      '7E8 10 14 49 02 01 31 46 4C',
      '7E8 21 37 53 4D 56 33 48 50',
      '7E8 22 43 30 30 30 30 30 31',
    ];
    const tcm = [
      '7E9 10 14 49 02 01 00 00 00',
      '7E9 21 00 00 00 00 00 00 00',
      '7E9 22 00 00 00 00 00 00 00',
    ];
    const { obd } = await session({
      '0902': [ecm[0], tcm[0], tcm[1], tcm[2], ecm[1], ecm[2]].join('\r'),
    });
    await expect(obd.readVin()).resolves.toBe('1FL7SMV3HPC000001');
  });

  it('refuses to talk OBD before a protocol is known', () => {
    const adapter = new ScriptedAdapter({});
    const obd = new ObdSession(new Elm327Client(adapter.link.host));
    expect(() => obd.protocol).toThrow(GuardError);
  });
});
