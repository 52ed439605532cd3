import { EventEmitter } from 'node:events';
import type {
  NobleCharacteristicLike,
  NobleLike,
  NoblePeripheralLike,
  NobleServiceLike,
} from './noble-like.js';

/** Records what the transport did, in order, so tests can check the order. */
export type FakeEvent =
  | { kind: 'subscribe'; uuid: string }
  | { kind: 'write'; uuid: string; data: string; withoutResponse: boolean };

export class FakeCharacteristic extends EventEmitter implements NobleCharacteristicLike {
  readonly uuid: string;
  readonly properties: readonly string[];
  readonly #log: FakeEvent[];
  onWrite: ((data: Buffer) => void) | null = null;
  /** Set to make the next subscribe fail, as a flaky adapter's GATT server does. */
  subscribeError: Error | null = null;

  constructor(uuid: string, properties: string[], log: FakeEvent[]) {
    super();
    this.uuid = uuid;
    this.properties = properties;
    this.#log = log;
  }

  subscribeAsync(): Promise<void> {
    this.#log.push({ kind: 'subscribe', uuid: this.uuid });
    if (this.subscribeError) return Promise.reject(this.subscribeError);
    return Promise.resolve();
  }

  unsubscribeAsync(): Promise<void> {
    return Promise.resolve();
  }

  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    this.#log.push({
      kind: 'write',
      uuid: this.uuid,
      data: data.toString('latin1'),
      withoutResponse,
    });
    this.onWrite?.(data);
    return Promise.resolve();
  }

  /** The adapter sends a notification. */
  notify(text: string): void {
    this.emit('data', Buffer.from(text, 'latin1'), true);
  }
}

export class FakePeripheral extends EventEmitter implements NoblePeripheralLike {
  readonly id: string;
  readonly address: string;
  readonly advertisement: { localName?: string; serviceUuids?: string[] };
  mtu: number | null = null;
  readonly services: NobleServiceLike[];
  connected = false;
  /** Set to make connect never finish, as with an adapter going out of range mid-connect. */
  connectHangs = false;
  disconnects = 0;
  readonly #mtuAfterConnect: number | null;

  constructor(options: {
    id: string;
    localName?: string;
    advertised?: string[];
    services: NobleServiceLike[];
    mtu?: number | null;
  }) {
    super();
    this.id = options.id;
    this.address = options.id;
    this.advertisement = { localName: options.localName, serviceUuids: options.advertised ?? [] };
    this.services = options.services;
    this.#mtuAfterConnect = options.mtu ?? null;
  }

  connectAsync(): Promise<void> {
    if (this.connectHangs) return new Promise<void>(() => undefined);
    this.connected = true;
    this.mtu = this.#mtuAfterConnect;
    return Promise.resolve();
  }

  disconnectAsync(): Promise<void> {
    this.disconnects += 1;
    this.connected = false;
    return Promise.resolve();
  }

  discoverAllServicesAndCharacteristicsAsync(): Promise<{
    services: NobleServiceLike[];
    characteristics: NobleCharacteristicLike[];
  }> {
    return Promise.resolve({
      services: this.services,
      characteristics: this.services.flatMap((s) => [...s.characteristics]),
    });
  }

  /** The adapter drops the link (out of range, unplugged from the OBD port). */
  drop(): void {
    this.connected = false;
    this.emit('disconnect', 'link lost');
  }
}

export class FakeNoble extends EventEmitter implements NobleLike {
  state = 'poweredOn';
  readonly peripherals: FakePeripheral[];

  constructor(peripherals: FakePeripheral[]) {
    super();
    this.peripherals = peripherals;
  }

  startScanningAsync(): Promise<void> {
    setImmediate(() => {
      for (const p of this.peripherals) this.emit('discover', p);
    });
    return Promise.resolve();
  }

  stopScanningAsync(): Promise<void> {
    return Promise.resolve();
  }
}
