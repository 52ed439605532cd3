import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceHello } from '@fleetline/protocol';
import { TimeSource } from '../clock/time-source.js';
import { CompanionConfigSchema } from '../config/schema.js';
import { T0, logger, open, position, useTempFiles } from '../outbox/outbox-kit.fixture.js';
import type { Outbox } from '../outbox/outbox.js';
import { Uplink } from './uplink.js';
import type { DeviceSocket, SocketFactory } from './uplink.js';

const tempFile = useTempFiles('companion-uplink-unit-');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A socket that never connects anywhere: the test plays the server's part. */
class ScriptedSocket extends EventEmitter {
  connected = false;
  close(): this {
    return this;
  }
}

/** An uplink for `outbox` whose every socket is scripted; returns it and the handshakes made. */
function scriptedUplink(outbox: Outbox): {
  uplink: Uplink;
  handshakes: { auth: unknown; socket: ScriptedSocket }[];
} {
  const handshakes: { auth: unknown; socket: ScriptedSocket }[] = [];
  const factory: SocketFactory = (_url, options) => {
    const socket = new ScriptedSocket();
    handshakes.push({ auth: options.auth, socket });
    return socket as unknown as DeviceSocket;
  };
  const uplink = new Uplink({
    url: 'http://fleet.invalid',
    token: 'fld_test',
    config: CompanionConfigSchema.shape.uplink.parse(undefined),
    outbox,
    time: new TimeSource({ maxDriftMs: 2000 }),
    logger,
    socketFactory: factory,
  });
  cleanups.push(() => uplink.stop(0));
  return { uplink, handshakes };
}

function hello(fields: Partial<DeviceHello>): DeviceHello {
  return {
    deviceId: 7,
    vehicleId: 3,
    highestStoredSeq: 0,
    maxBatchSamples: 1000,
    serverTime: Date.now(),
    ...fields,
  };
}

describe('Uplink and the outbox identity', () => {
  it('names its outbox in the handshake, and checks the numbering by the outbox the hello says numbered last', () => {
    // A backup restored: checked for device 7, ten samples waiting, the counter at 10.
    const file = tempFile();
    const before = open(file);
    before.checkNumbering(7, 0, null);
    before.append(Array.from({ length: 10 }, (_, i) => position(T0 + i)));
    before.close();
    const outbox = open(file);
    cleanups.push(() => outbox.close());

    const { uplink, handshakes } = scriptedUplink(outbox);
    uplink.start();
    expect(handshakes).toHaveLength(1);
    expect(handshakes[0]?.auth).toEqual({ token: 'fld_test', outboxId: outbox.id });

    // The server went on to 20 with this outbox's numbers: what waits keeps them.
    handshakes[0]?.socket.emit('hello', hello({ highestStoredSeq: 20, lastOutboxId: outbox.id }));
    expect(outbox.read(0, null, 100).map((row) => row.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(outbox.lastAssignedSeq).toBe(20);
  });
});
