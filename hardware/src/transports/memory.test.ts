import { describe, expect, it } from 'vitest';
import { DeviceGoneError, TransportNotOpenError } from '../errors.js';
import { createMemoryLink } from './memory.js';

describe('in-memory link', () => {
  it('carries bytes both ways, split as asked', async () => {
    const link = createMemoryLink({ split: (b) => [...b].map((x) => Uint8Array.of(x)) });
    await link.host.open();
    await link.device.open();
    const received: number[] = [];
    link.device.onData((chunk) => {
      expect(chunk.length).toBe(1);
      received.push(...chunk);
    });
    await link.host.write('AT\r');
    await link.host.drain();
    expect(Buffer.from(received).toString()).toBe('AT\r');
  });

  it('refuses writes before open and ends the byte stream with DeviceGoneError on unplug', async () => {
    const link = createMemoryLink();
    await expect(link.host.write('x')).rejects.toBeInstanceOf(TransportNotOpenError);
    await link.host.open();
    await link.device.open();
    const chunks = link.host.chunks();
    const next = chunks.next();
    await link.device.write('hi');
    expect(Buffer.from((await next).value as Uint8Array).toString()).toBe('hi');
    link.unplug();
    await expect(chunks.next()).rejects.toBeInstanceOf(DeviceGoneError);
    expect(link.host.state).toBe('closed');
  });
});
