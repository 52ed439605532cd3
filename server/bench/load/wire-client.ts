import WebSocket from 'ws';

/**
 * A socket.io client reduced to the wire protocol (engine.io v4 over
 * WebSocket, socket.io v5 packets): open, namespace CONNECT with auth,
 * events with ack ids, pong. To the server it is an ordinary socket.io
 * client. The load generator simulates thousands of vehicles on the same
 * two cores as the server; a full socket.io-client per vehicle would spend
 * CPU the server needs, which real vehicles, on their own hardware, do not.
 */
export class WireSocketIoClient {
  private ws: WebSocket | undefined;
  private nextAck = 0;
  private readonly acks = new Map<number, (payload: unknown) => void>();

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly auth: Record<string, unknown>,
  ) {}

  /** Resolves with the payload of the first `greeting` event; rejects on a connect error. */
  connect(greeting: string): Promise<unknown> {
    const ws = new WebSocket(
      `${this.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
      {
        perMessageDeflate: false,
      },
    );
    this.ws = ws;
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
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
          reject(new Error(`connect_error: ${body}`));
          ws.close();
          return;
        }
        const bracket = body.indexOf('[');
        if (type === '2' && bracket >= 0) {
          const [event, payload] = JSON.parse(body.slice(bracket)) as [string, unknown];
          if (event === greeting) resolve(payload);
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
    const id = this.nextAck++;
    this.acks.set(id, ack);
    this.ws?.send(`42${this.namespace},${id}${JSON.stringify([event, payload])}`);
  }

  close(): void {
    this.ws?.close();
  }
}
