import { io } from 'socket.io-client';
import { DEVICE_NAMESPACE, DeviceHelloSchema, ErrorPayloadSchema } from '@fleetline/protocol';
import type { DeviceHello } from '@fleetline/protocol';
import { messageOf } from '../util/logger.js';
import type { DeviceSocket } from './uplink.js';
import { socketTarget } from './uplink.js';

export type ServerCheck =
  | { outcome: 'accepted'; hello: DeviceHello; receivedAt: number }
  | { outcome: 'refused'; type: 'device-token-invalid' | 'device-token-revoked'; message: string }
  | { outcome: 'unreachable'; message: string }
  | { outcome: 'invalid'; message: string };

/**
 * One connection attempt with the device token, for `doctor`: does the
 * server answer, does it accept the token, what does its hello say. The
 * connection is closed as soon as the hello arrives; nothing is sent.
 */
export function checkServer(url: string, token: string, timeoutMs = 10_000): Promise<ServerCheck> {
  const { origin, path } = socketTarget(url);
  const socket: DeviceSocket = io(`${origin}${DEVICE_NAMESPACE}`, {
    path,
    // No outboxId, on purpose: the daemon's hello judges the server's
    // numbers by the outbox the server has on record for the token. doctor
    // numbers and sends nothing, so it has no business there; were a server
    // to record a handshake's outbox, naming this one would replace another
    // outbox on record, and the daemon would take that one's numbers for its
    // own and keep colliding ones (dropped as replays). Naming none is at
    // worst recorded as none: the next hello then judges by the numbers alone.
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  });
  return new Promise<ServerCheck>((resolve) => {
    const finish = (result: ServerCheck): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ outcome: 'unreachable', message: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.on('hello', (raw: unknown) => {
      const hello = DeviceHelloSchema.safeParse(raw);
      finish(
        hello.success
          ? { outcome: 'accepted', hello: hello.data, receivedAt: Date.now() }
          : { outcome: 'invalid', message: 'the server answered with a hello that is not one' },
      );
    });
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      const body = ErrorPayloadSchema.safeParse(error.data);
      const type = body.success ? body.data.error.type : null;
      if (type === 'device-token-invalid' || type === 'device-token-revoked') {
        finish({
          outcome: 'refused',
          type,
          message: body.success ? body.data.error.message : error.message,
        });
        return;
      }
      finish({
        outcome: 'unreachable',
        message: type ? `${type}: ${error.message}` : messageOf(error),
      });
    });
  });
}
