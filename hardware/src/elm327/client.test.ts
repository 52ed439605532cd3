import { describe, expect, it, vi } from 'vitest';
import { ScriptedAdapter, initScript } from '../../test/scripted-adapter.js';
import { AdapterUnresponsiveError, DeviceGoneError, TimeoutError } from '../errors.js';
import { Elm327Client } from './client.js';
import { AdapterReplyError } from './errors.js';

const REPLY =
  '7E8 10 14 49 02 01 31 46 4C\r7E8 21 37 53 4D 56 33 48 50\r7E8 22 43 30 30 30 30 30 31\r\r>';

describe('Elm327Client framing', () => {
  it('frames a reply by its prompt however the bytes are split, at every position', async () => {
    for (let cut = 1; cut < REPLY.length; cut += 1) {
      const split = (bytes: Uint8Array): Uint8Array[] =>
        bytes.length > cut ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes];
      const adapter = new ScriptedAdapter({ '0902': REPLY }, split);
      await adapter.start();
      const client = new Elm327Client(adapter.link.host);
      const reply = await client.send('0902');
      expect(reply.outcome).toBe('data');
      expect(reply.lines).toHaveLength(3);
      expect(reply.lines[2]).toBe('7E8 22 43 30 30 30 30 30 31');
      client.dispose();
    }
  });

  it('frames a reply delivered one byte at a time', async () => {
    const bytewise = (bytes: Uint8Array): Uint8Array[] => [...bytes].map((b) => Uint8Array.of(b));
    const adapter = new ScriptedAdapter({ '0902': REPLY }, bytewise);
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    expect((await client.send('0902')).lines).toHaveLength(3);
  });
});

describe('Elm327Client queue and timeouts', () => {
  it('keeps one command in flight: the second is written only after the first is answered', async () => {
    let firstAnswered = false;
    const adapter = new ScriptedAdapter({});
    adapter.set('010C', () => {
      setTimeout(() => {
        firstAnswered = true;
        void adapter.link.device.write('7E8 04 41 0C 1A F8\r\r>');
      }, 30);
      return null;
    });
    adapter.set('010D', () => {
      expect(firstAnswered).toBe(true);
      return '7E8 03 41 0D 32';
    });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    const [a, b] = await Promise.all([client.send('010C'), client.send('010D')]);
    expect(a.lines).toEqual(['7E8 04 41 0C 1A F8']);
    expect(b.lines).toEqual(['7E8 03 41 0D 32']);
    expect(adapter.received).toEqual(['010C', '010D']);
  });

  it('rejects with a TimeoutError when no prompt comes, and goes on with the next command', async () => {
    const adapter = new ScriptedAdapter({ '010C': null, '010D': '7E8 03 41 0D 32' });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host, { timeoutMs: 50, timeoutsBeforeReset: 3 });
    await expect(client.send('010C')).rejects.toBeInstanceOf(TimeoutError);
    expect((await client.send('010D')).lines).toEqual(['7E8 03 41 0D 32']);
  });

  it('resynchronises after a timeout in ~150 ms even when the wall clock steps back an hour', async () => {
    const adapter = new ScriptedAdapter({ '010C': null, '010D': '7E8 03 41 0D 32' });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host, { timeoutMs: 50, timeoutsBeforeReset: 3 });
    expect((await client.send('010D')).lines).toEqual(['7E8 03 41 0D 32']);
    // NTP or the GPS sets the clock back while the adapter is in use.
    const stepped = Date.now() - 3_600_000;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => stepped);
    try {
      await expect(client.send('010C')).rejects.toBeInstanceOf(TimeoutError);
      const next = client.send('010D');
      const outcome = await Promise.race([
        next.then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('stalled'), 2000)),
      ]);
      expect(outcome).toBe('answered');
    } finally {
      now.mockRestore();
    }
  });

  it('drops a late answer to a timed-out command instead of handing it to the next one', async () => {
    const adapter = new ScriptedAdapter({});
    adapter.set('010C', () => {
      // Half way through the resynchronisation's wait (100 to 200 ms), not at its edge.
      setTimeout(() => void adapter.link.device.write('7E8 04 41 0C 1A F8\r\r>'), 150);
      return null;
    });
    adapter.set('010D', '7E8 03 41 0D 32');
    await adapter.start();
    const client = new Elm327Client(adapter.link.host, { timeoutMs: 100, timeoutsBeforeReset: 3 });
    await expect(client.send('010C')).rejects.toBeInstanceOf(TimeoutError);
    expect((await client.send('010D')).lines).toEqual(['7E8 03 41 0D 32']);
  });

  it('resets the adapter after repeated timeouts and replays the setup', async () => {
    let hung = false;
    const script = initScript();
    const adapter = new ScriptedAdapter(script);
    await adapter.start();
    const client = new Elm327Client(adapter.link.host, { timeoutMs: 40, timeoutsBeforeReset: 2 });
    await client.initialize();
    hung = true;
    adapter.fallback((command) => (hung && command !== 'ATZ' ? null : '?'));
    adapter.set('ATZ', () => {
      hung = false;
      return '\r\rELM327 v2.1\r\r>';
    });
    adapter.set('010D', () => (hung ? null : '7E8 03 41 0D 32'));
    await expect(client.send('010D')).rejects.toBeInstanceOf(TimeoutError);
    await expect(client.send('010D')).rejects.toBeInstanceOf(TimeoutError);
    const reply = await client.send('010D');
    expect(reply.lines).toEqual(['7E8 03 41 0D 32']);
    const afterReset = adapter.received.slice(adapter.received.lastIndexOf('ATZ'));
    expect(afterReset.slice(0, 7)).toEqual([
      'ATZ',
      'ATE0',
      'ATL0',
      'ATS1',
      'ATH1',
      'ATAT1',
      'ATSP6',
    ]);
    expect(client.headers).toBe(true);
  });

  it('reports an adapter that does not come back after the reset as unresponsive', async () => {
    const adapter = new ScriptedAdapter({});
    adapter.fallback(null);
    await adapter.start();
    const client = new Elm327Client(adapter.link.host, {
      timeoutMs: 30,
      resetTimeoutMs: 30,
      timeoutsBeforeReset: 1,
    });
    await expect(client.send('010D')).rejects.toBeInstanceOf(TimeoutError);
    await expect(client.send('010D')).rejects.toBeInstanceOf(AdapterUnresponsiveError);
  });
});

describe('Elm327Client initialisation', () => {
  it('resets, configures, tolerates SEARCHING... and reads the protocol found', async () => {
    const adapter = new ScriptedAdapter(initScript());
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    const init = await client.initialize();
    expect(init.version).toBe('ELM327 v2.1');
    expect(init.protocol.id).toBe('6');
    expect(init.auto).toBe(true);
    expect(init.firstReply.searched).toBe(true);
    expect(client.headers).toBe(true);
    expect(adapter.received).toEqual([
      'ATZ',
      'ATE0',
      'ATL0',
      'ATS1',
      'ATH1',
      'ATAT1',
      'ATSP0',
      '0100',
      'ATDPN',
    ]);
  });

  it('works with a clone that rejects the optional settings and answers ? to the first ATZ', async () => {
    let resets = 0;
    const adapter = new ScriptedAdapter({
      ...initScript(),
      ATZ: () => (++resets === 1 ? '?' : '\r\rELM327 v1.5\r\r>'),
      ATS1: '?',
      ATAT1: '?',
    });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    const init = await client.initialize();
    expect(init.version).toBe('ELM327 v1.5');
    expect(resets).toBe(2);
  });

  it('tracks the headers setting whichever way the command was sent', async () => {
    const adapter = new ScriptedAdapter({ ...initScript(), ATH0: 'OK', ATH1: 'OK' });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    await client.initialize();
    expect(client.headers).toBe(true);
    await client.send('ATH0');
    expect(client.headers).toBe(false);
    await client.send('ATH1');
    expect(client.headers).toBe(true);
  });

  it('reports the ignition being off as its own outcome', async () => {
    const adapter = new ScriptedAdapter({
      ...initScript(),
      '0100': 'SEARCHING...\rUNABLE TO CONNECT',
    });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    const error: unknown = await client.initialize().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterReplyError);
    expect((error as AdapterReplyError).outcome).toBe('unable_to_connect');
    expect(client.protocol).toBeNull();
  });
});

describe('Elm327Client when the device goes away', () => {
  it('rejects the command in flight and every later one with DeviceGoneError', async () => {
    const adapter = new ScriptedAdapter({ '010C': null });
    await adapter.start();
    const client = new Elm327Client(adapter.link.host);
    const pending = client.send('010C');
    setTimeout(() => adapter.link.unplug(), 10);
    await expect(pending).rejects.toBeInstanceOf(DeviceGoneError);
    await expect(client.send('010D')).rejects.toBeInstanceOf(DeviceGoneError);
  });
});
