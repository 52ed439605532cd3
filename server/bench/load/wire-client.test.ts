import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DISCONNECTED, WireSocketIoClient } from './wire-client.js';

/** A real socket.io server on loopback, speaking to the reduced client as it would to a companion. */
describe('WireSocketIoClient', () => {
  let io: Server;
  let url: string;
  let joins = 0;
  /** What the server does with each `telemetry` event; the default acks it. */
  let onTelemetry: (socket: Socket, payload: unknown, ack: (reply: unknown) => void) => void;

  beforeEach(async () => {
    joins = 0;
    onTelemetry = (_socket, payload, ack) => ack({ ok: true, echo: payload });
    const httpServer = http.createServer();
    io = new Server(httpServer, { serveClient: false });
    const devices = io.of('/device');
    devices.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      next(token === 'good' ? undefined : new Error('unknown device token'));
    });
    devices.on('connection', (socket) => {
      joins++;
      socket.on('telemetry', (payload: unknown, ack: (reply: unknown) => void) =>
        onTelemetry(socket, payload, ack),
      );
      socket.emit('hello', { join: joins });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await io.close();
  });

  const emit = (client: WireSocketIoClient, payload: unknown) =>
    new Promise<unknown>((resolve) => client.emit('telemetry', payload, resolve));

  it('joins the namespace with its auth and gets acks for its events', async () => {
    const client = new WireSocketIoClient(url, '/device', { token: 'good' });
    try {
      expect(await client.connect('hello')).toEqual({ join: 1 });
      expect(await emit(client, { n: 1 })).toEqual({ ok: true, echo: { n: 1 } });
      expect(await emit(client, { n: 2 })).toEqual({ ok: true, echo: { n: 2 } });
    } finally {
      client.close();
    }
  });

  it('a refused first connect rejects and is not retried', async () => {
    const client = new WireSocketIoClient(url, '/device', { token: 'bad' });
    await expect(client.connect('hello')).rejects.toThrow(/connect_error: .*unknown device token/);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(joins).toBe(0);
    expect(client.reconnects).toBe(0);
  });

  it('answers a batch cut off by a lost connection with DISCONNECTED, then connects again', async () => {
    const client = new WireSocketIoClient(url, '/device', { token: 'good' });
    try {
      await client.connect('hello');
      // The server drops the connection without answering, as a missed heartbeat would.
      onTelemetry = (socket) => socket.disconnect(true);
      expect(await emit(client, { n: 1 })).toBe(DISCONNECTED);
      // While it is away, events are answered at once, so the caller can resend later.
      expect(await emit(client, { n: 2 })).toBe(DISCONNECTED);

      onTelemetry = (_socket, payload, ack) => ack({ ok: true, echo: payload });
      const deadline = Date.now() + 5000;
      while (client.reconnects === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(client.reconnects).toBe(1);
      expect(joins).toBe(2);
      expect(await emit(client, { n: 2 })).toEqual({ ok: true, echo: { n: 2 } });
    } finally {
      client.close();
    }
  });

  it('stays closed once closed', async () => {
    const client = new WireSocketIoClient(url, '/device', { token: 'good' });
    await client.connect('hello');
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(joins).toBe(1);
    expect(await emit(client, { n: 1 })).toBe(DISCONNECTED);
  });
});
