import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceGoneError, TransportClosedError, TransportOpenError } from '../errors.js';
import { TcpTransport } from './tcp.js';

let server: Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  server = createServer(onSocket);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server?.address() as AddressInfo).port;
}

describe('TcpTransport (Wi-Fi adapters)', () => {
  it('writes, streams incoming bytes and closes cleanly', async () => {
    const port = await listen((socket) =>
      socket.on('data', (data) => socket.write(`echo:${data.toString()}`)),
    );
    const transport = new TcpTransport({ host: '127.0.0.1', port });
    await transport.open();
    const chunks = transport.chunks();
    await transport.write('ATZ\r');
    const first = await chunks.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('echo:ATZ\r');
    const closed = new Promise((resolve) => transport.onClose(resolve));
    await transport.close();
    expect(await closed).toBeNull();
    await expect(transport.write('x')).rejects.toBeInstanceOf(TransportClosedError);
  });

  it('reports the adapter dropping the connection as the device going away', async () => {
    const port = await listen((socket) => setTimeout(() => socket.destroy(), 10));
    const transport = new TcpTransport({ host: '127.0.0.1', port });
    await transport.open();
    const error = await new Promise((resolve) => transport.onClose(resolve));
    expect(error).toBeInstanceOf(DeviceGoneError);
  });

  it('fails to open with a typed error when nothing listens', async () => {
    const port = await listen(() => undefined);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = null;
    const transport = new TcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 1000 });
    await expect(transport.open()).rejects.toBeInstanceOf(TransportOpenError);
    expect(transport.state).toBe('closed');
  });
});
