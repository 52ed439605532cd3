import WebSocket from 'ws';

/** What a batch's callback gets when its connection closed before the server answered. */
export const DISCONNECTED = { error: 'disconnected' } as const;

/** After a lost connection, the first attempt to connect again waits this long, doubling up to the cap, with jitter. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * A socket.io client reduced to the wire protocol (engine.io v4 over
 * WebSocket, socket.io v5 packets): open, namespace CONNECT with auth,
 * events with ack ids, pong. To the server it is an ordinary socket.io
 * client. The load generator simulates thousands of vehicles on the same
 * two cores as the server; a full socket.io-client per vehicle would spend
 * CPU the server needs, which real vehicles, on their own hardware, do not.
 *
 * Like a companion, it connects again when its connection is lost (a
 * heartbeat missed on a starved machine, a server restart): batches waiting
 * for their ack get DISCONNECTED, and events emitted while it is away get it
 * at once, so the caller sends them again, as a companion resends what was
 * never acknowledged.
 */
export class WireSocketIoClient {
  private ws: WebSocket | undefined;
  private nextAck = 0;
  private readonly acks = new Map<number, (payload: unknown) => void>();
  private joined = false;
  /** Set on the first join: only a client that was connected reconnects; a first connect that fails just rejects. */
  private everJoined = false;
  private closed = false;
  private reconnectDelayMs = 0;
  /** Connections lost and made again since the first connect. */
  reconnects = 0;

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly auth: Record<string, unknown>,
  ) {}

  /** Resolves with the payload of the first `greeting` event; rejects on a connect error. */
  connect(greeting: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(
        `${this.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
        { perMessageDeflate: false },
      );
      this.ws = ws;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      ws.on('error', fail);
      ws.on('close', () => {
        fail(new Error('connection closed before the namespace was joined'));
        if (this.ws === ws && this.everJoined) this.lost(greeting);
      });
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === '2') {
          ws.send('3'); // engine.io ping -> pong
          return;
        }
        if (text[0] === '0') {
          ws.send(`40${this.namespace},${JSON.stringify(this.auth)}`); // open -> join the namespace
          return;
        }
        if (text[0] !== '4') return;
        const type = text[1];
        let body = text.slice(2);
        if (body.startsWith(`${this.namespace},`)) body = body.slice(this.namespace.length + 1);
        if (type === '4') {
          fail(new Error(`connect_error: ${body}`));
          ws.close();
          return;
        }
        if (type === '1') {
          ws.close(); // the server ended the namespace session
          return;
        }
        const bracket = body.indexOf('[');
        if (type === '2' && bracket >= 0) {
          const [event, payload] = JSON.parse(body.slice(bracket)) as [string, unknown];
          if (event === greeting && !settled) {
            settled = true;
            this.joined = true;
            this.everJoined = true;
            this.reconnectDelayMs = 0;
            resolve(payload);
          }
        } else if (type === '3' && bracket >= 0) {
          const id = Number(body.slice(0, bracket));
          const callback = this.acks.get(id);
          if (!callback) return;
          this.acks.delete(id);
          callback((JSON.parse(body.slice(bracket)) as unknown[])[0]);
        }
      });
    });
  }

  emit(event: string, payload: unknown, ack: (reply: unknown) => void): void {
    if (!this.joined || !this.ws) {
      setImmediate(ack, DISCONNECTED);
      return;
    }
    const id = this.nextAck++;
    this.acks.set(id, ack);
    this.ws.send(`42${this.namespace},${id}${JSON.stringify([event, payload])}`);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  /** The connection is gone: answer what waited on it, then connect again with back-off. */
  private lost(greeting: string): void {
    this.joined = false;
    this.ws = undefined;
    const waiting = [...this.acks.values()];
    this.acks.clear();
    for (const callback of waiting) callback(DISCONNECTED);
    if (this.closed) return;
    this.reconnectDelayMs = Math.min(
      RECONNECT_MAX_MS,
      this.reconnectDelayMs ? this.reconnectDelayMs * 2 : RECONNECT_FIRST_MS,
    );
    setTimeout(
      () => {
        if (this.closed) return;
        this.connect(greeting).then(
          () => this.reconnects++,
          () => undefined, // its close handler schedules the next attempt
        );
      },
      this.reconnectDelayMs * (0.5 + Math.random() / 2),
    );
  }
}
