/**
 * The part of @abandonware/noble the BLE transport uses. Typed structurally so
 * tests can inject a fake central and so noble's own types never leak out.
 */
export interface NobleCharacteristicLike {
  readonly uuid: string;
  readonly properties: readonly string[];
  subscribeAsync(): Promise<void>;
  unsubscribeAsync(): Promise<void>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  on(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
  removeListener(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
}

export interface NobleServiceLike {
  readonly uuid: string;
  readonly characteristics: readonly NobleCharacteristicLike[];
}

export interface NoblePeripheralLike {
  readonly id: string;
  readonly address?: string;
  readonly advertisement: { localName?: string; serviceUuids?: readonly string[] };
  /** Negotiated ATT MTU once connected; null or undefined before. */
  readonly mtu?: number | null;
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverAllServicesAndCharacteristicsAsync(): Promise<{
    services: readonly NobleServiceLike[];
    characteristics: readonly NobleCharacteristicLike[];
  }>;
  once(event: 'disconnect', listener: (reason?: unknown) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface NobleLike {
  readonly state: string;
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  on(event: 'discover', listener: (peripheral: NoblePeripheralLike) => void): unknown;
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  removeListener(event: 'discover', listener: (peripheral: NoblePeripheralLike) => void): unknown;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}
