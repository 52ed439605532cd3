import net from 'node:net';

/**
 * A TCP relay to PostgreSQL on loopback that can go silent on the
 * connections it holds, without closing them: what a failover or a pulled
 * cable looks like from the client (a half-open connection). Connections
 * opened after that are relayed as usual.
 */
export async function silenceableRelay(target: URL) {
  const live = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        if (from.destroyed || silenced.has(from)) return;
        to.write(chunk);
        if (from !== client || silenceCommitAfter === undefined) return;
        const text = chunk.toString('latin1');
        if (text.includes(silenceCommitAfter)) primed.add(client);
        else if (primed.has(client) && text.includes('COMMIT')) {
          // The COMMIT goes through; its answer, and all after it, never come back.
          silenced.add(upstream);
          silenceCommitAfter = undefined;
        }
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
    live.add(client).add(upstream);
  });
  const silenced = new Set<net.Socket>();
  /** Armed: the connection that writes this table has its answers dropped once it sends COMMIT. */
  let silenceCommitAfter: string | undefined;
  const primed = new Set<net.Socket>();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    /** The next transaction that writes `table` commits, but its client never hears so. */
    silenceCommitOf(table: string) {
      silenceCommitAfter = table;
    },
    /**
     * Every byte on the connections open now is dropped from here on.
     * Returns how many client connections that silenced.
     */
    silenceOpenConnections(): number {
      let clients = 0;
      for (const socket of live) {
        silenced.add(socket);
        if (socket.localPort === port) clients++;
      }
      live.clear();
      return clients;
    },
    async close() {
      for (const socket of silenced) socket.destroy();
      for (const socket of live) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
