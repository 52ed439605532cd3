import { TransportOpenError } from '../errors.js';
import { BaseTransport, messageOf } from './base-transport.js';

export interface SerialTransportOptions {
  /** Device path, e.g. /dev/ttyUSB0, /dev/rfcomm0 or one end of a socat pty pair. */
  path: string;
  /** ELM327 clones mostly use 38400; some 9600 or 115200. GPS receivers mostly 4800 or 9600. */
  baudRate?: number;
}

// The subset of serialport's SerialPort we use; typed here so protocol code
// never sees serialport's types and the module loads only when a port opens.
interface SerialPortLike {
  open(callback: (error: Error | null) => void): void;
  write(data: Buffer, callback: (error: Error | null | undefined) => void): boolean;
  drain(callback: (error: Error | null) => void): void;
  close(callback: (error: Error | null) => void): void;
  on(event: 'data', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: (error?: Error & { disconnected?: boolean }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  readonly isOpen: boolean;
}

export class SerialTransport extends BaseTransport {
  readonly kind = 'serial' as const;
  readonly description: string;
  readonly path: string;
  readonly baudRate: number;
  #port: SerialPortLike | null = null;
  #closingOnPurpose = false;

  constructor(options: SerialTransportOptions) {
    super();
    this.path = options.path;
    this.baudRate = options.baudRate ?? 38400;
    this.description = `serial:${options.path}@${this.baudRate}`;
  }

  protected async doOpen(): Promise<void> {
    let SerialPort: new (options: {
      path: string;
      baudRate: number;
      autoOpen: boolean;
    }) => SerialPortLike;
    try {
      ({ SerialPort } = (await import('serialport')) as unknown as {
        SerialPort: typeof SerialPort;
      });
    } catch (error) {
      throw new TransportOpenError(`serialport cannot load: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((error) => (error ? reject(error) : resolve())),
    );
    this.#closingOnPurpose = false;
    port.on('data', (data) => this.deliver(new Uint8Array(data)));
    // serialport reports an unplugged device as 'close' with error.disconnected.
    port.on('close', (error) => {
      if (!this.#closingOnPurpose) this.lost(error ?? new Error('port closed by the system'));
    });
    port.on('error', (error) => this.lost(error));
    this.#port = port;
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    const port = this.#port;
    if (!port) throw new TransportOpenError(`${this.description} has no port`);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes), (error) => (error ? reject(error) : undefined));
      port.drain((error) => (error ? reject(error) : resolve()));
    });
  }

  protected async doClose(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    if (!port?.isOpen) return;
    this.#closingOnPurpose = true;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
