import { HardwareError, TransportOpenError } from '../../errors.js';
import { BaseTransport } from '../base-transport.js';
import { isPlausibleAdapter, waitPoweredOn } from './discovery.js';
import { loadNoble } from './load-noble.js';
import type { NobleCharacteristicLike, NobleLike, NoblePeripheralLike } from './noble-like.js';
import {
  KNOWN_GATT_PROFILES,
  matchGattProfile,
  normalizeUuid,
  splitForWrite,
  writeChunkSize,
} from './profiles.js';
import type { GattMatch } from './profiles.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export interface BleTransportOptions {
  /** Peripheral id or address to connect to; without it the first plausible adapter wins. */
  peripheral?: string;
  /** Match the advertised local name instead (case-insensitive substring). */
  name?: string;
  scanTimeoutMs?: number;
  /** Longest wait for each of connect, service discovery and subscribe. */
  connectTimeoutMs?: number;
  /** Injected central for tests; production loads @abandonware/noble lazily. */
  noble?: NobleLike;
}

export class BleTransport extends BaseTransport {
  readonly kind = 'ble' as const;
  description: string;
  readonly #options: BleTransportOptions;
  #peripheral: NoblePeripheralLike | null = null;
  #notify: NobleCharacteristicLike | null = null;
  #write: NobleCharacteristicLike | null = null;
  #match: GattMatch | null = null;
  #closingOnPurpose = false;
  readonly #onNotify = (data: Buffer): void => this.deliver(new Uint8Array(data));

  constructor(options: BleTransportOptions = {}) {
    super();
    this.#options = options;
    this.description = `ble:${options.peripheral ?? options.name ?? 'any'}`;
  }

  /** Which GATT channel was chosen, once open. */
  get gatt(): GattMatch | null {
    return this.#match;
  }

  protected async doOpen(): Promise<void> {
    const noble = this.#options.noble ?? (await loadNoble());
    await waitPoweredOn(noble, this.#options.scanTimeoutMs ?? 10_000);
    const peripheral = await this.#scan(noble);
    this.description = `ble:${peripheral.address ?? peripheral.id}`;
    this.#closingOnPurpose = false;
    peripheral.once('disconnect', (reason) => {
      if (!this.#closingOnPurpose) this.lost(reason ?? new Error('peripheral disconnected'));
    });
    let notify: NobleCharacteristicLike | undefined;
    try {
      // An adapter that went out of range mid-connect would otherwise hang open() for good.
      await this.#inTime(peripheral.connectAsync(), 'connecting');
      const { services } = await this.#inTime(
        peripheral.discoverAllServicesAndCharacteristicsAsync(),
        'discovering its services',
      );
      const match = matchGattProfile(services);
      if (!match) {
        throw new HardwareError(
          'ble_profile_not_found',
          `${this.description} has no serial GATT channel (tried ${KNOWN_GATT_PROFILES.map((p) => p.name).join(', ')} and a notify+write guess)`,
        );
      }
      const service = services.find((s) => normalizeUuid(s.uuid) === match.service);
      const find = (uuid: string): NobleCharacteristicLike | undefined =>
        service?.characteristics.find((c) => normalizeUuid(c.uuid) === uuid);
      notify = find(match.notify);
      const write = find(match.write);
      if (!notify || !write)
        throw new TransportOpenError(`${this.description}: characteristics vanished`);
      // Subscribe before the first write: an adapter answers at once, and a reply
      // sent before the subscription exists is lost.
      notify.on('data', this.#onNotify);
      await this.#inTime(notify.subscribeAsync(), 'subscribing to its replies');
      this.#peripheral = peripheral;
      this.#notify = notify;
      this.#write = write;
      this.#match = match;
    } catch (error) {
      // A half-open adapter stays taken (it accepts one central): let it go.
      this.#closingOnPurpose = true;
      notify?.removeListener('data', this.#onNotify);
      await peripheral.disconnectAsync().catch(() => undefined);
      throw error;
    }
  }

  /** Rejects with a TransportOpenError when a GATT step takes longer than the connect timeout. */
  async #inTime<T>(step: Promise<T>, doing: string): Promise<T> {
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        step,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new TransportOpenError(
                  `${this.description}: no progress ${doing} within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #scan(noble: NobleLike): Promise<NoblePeripheralLike> {
    const wanted = this.#options.peripheral?.toLowerCase();
    const name = this.#options.name?.toLowerCase();
    const timeoutMs = this.#options.scanTimeoutMs ?? 10_000;
    return await new Promise<NoblePeripheralLike>((resolve, reject) => {
      const finish = (result: NoblePeripheralLike | Error): void => {
        clearTimeout(timer);
        noble.removeListener('discover', onDiscover);
        void noble.stopScanningAsync().catch(() => undefined);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const onDiscover = (p: NoblePeripheralLike): void => {
        const localName = p.advertisement.localName ?? '';
        const ok = wanted
          ? p.id.toLowerCase() === wanted || p.address?.toLowerCase() === wanted
          : name
            ? localName.toLowerCase().includes(name)
            : isPlausibleAdapter(p);
        if (ok) finish(p);
      };
      const timer = setTimeout(
        () =>
          finish(
            new HardwareError(
              'ble_device_not_found',
              `no BLE OBD adapter${wanted || name ? ` matching ${wanted ?? name}` : ''} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      noble.on('discover', onDiscover);
      // Many adapters do not advertise their service, so scan without a filter.
      noble
        .startScanningAsync([], false)
        .catch((error: unknown) =>
          finish(error instanceof Error ? error : new Error(String(error))),
        );
    });
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    const write = this.#write;
    if (!write || !this.#match)
      throw new TransportOpenError(`${this.description} is not connected`);
    const size = writeChunkSize(this.#peripheral?.mtu);
    for (const chunk of splitForWrite(bytes, size)) {
      await write.writeAsync(Buffer.from(chunk), this.#match.writeWithoutResponse);
    }
  }

  protected async doClose(): Promise<void> {
    this.#closingOnPurpose = true;
    const notify = this.#notify;
    const peripheral = this.#peripheral;
    this.#notify = null;
    this.#write = null;
    this.#peripheral = null;
    if (notify) {
      notify.removeListener('data', this.#onNotify);
      await notify.unsubscribeAsync().catch(() => undefined);
    }
    if (peripheral) await peripheral.disconnectAsync().catch(() => undefined);
  }
}
