import { Socket } from 'node:net';
import { TransportOpenError } from '../errors.js';
import { BaseTransport } from './base-transport.js';

export interface TcpTransportOptions {
  /** Wi-Fi ELM327 adapters are usually 192.168.0.10 port 35000. */
  host: string;
  port?: number;
  connectTimeoutMs?: number;
}

export class TcpTransport extends BaseTransport {
  readonly kind = 'tcp' as const;
  readonly description: string;
  readonly host: string;
  readonly port: number;
  readonly #connectTimeoutMs: number;
  #socket: Socket | null = null;
  #closingOnPurpose = false;

  constructor(options: TcpTransportOptions) {
    super();
    this.host = options.host;
    this.port = options.port ?? 35000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.description = `tcp:${this.host}:${this.port}`;
  }

  protected async doOpen(): Promise<void> {
    const socket = new Socket();
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TransportOpenError(
            `${this.description}: no connection within ${this.#connectTimeoutMs} ms`,
          ),
        );
      }, this.#connectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.connect(this.port, this.host, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
    });
    this.#closingOnPurpose = false;
    socket.on('data', (data: Buffer) => this.deliver(new Uint8Array(data)));
    socket.on('error', (error) => this.lost(error));
    socket.on('close', () => {
      if (!this.#closingOnPurpose) this.lost(new Error('connection closed by the adapter'));
    });
    this.#socket = socket;
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket) throw new TransportOpenError(`${this.description} has no socket`);
    await new Promise<void>((resolve, reject) =>
      socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
  }

  protected async doClose(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    this.#closingOnPurpose = true;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => {
        socket.destroy();
      }, 500).unref();
    });
  }
}
