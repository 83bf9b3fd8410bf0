import { once } from 'node:events';
import * as net from 'node:net';

const PREFACE_LENGTH = 24; // 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
const HEADERS = 0x1;
const GOAWAY = 0x7;

export interface Relay {
  readonly origin: string;
  /**
   * Ids of the streams whose HEADERS the client sent before the relay handed it the server's
   * first GOAWAY: streams a server must serve (or refuse only above the last stream id it names).
   */
  readonly sentBeforeGoaway: Set<number>;
  close(): Promise<void>;
}

/** Calls `onFrame(type, streamId)` for every HTTP/2 frame header in a byte stream. */
function frameReader(skipFirst: number, onFrame: (type: number, streamId: number) => void) {
  let pending = Buffer.alloc(0);
  let skip = skipFirst;
  return (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, pending.length);
        pending = pending.subarray(n);
        skip -= n;
        if (skip > 0) return;
      }
      if (pending.length < 9) return;
      onFrame(pending[3] ?? 0, pending.readUInt32BE(5) & 0x7fffffff);
      skip = 9 + pending.readUIntBE(0, 3);
    }
  };
}

/**
 * A TCP relay in front of an h2c server that delays every chunk by `delayMs` each way (a round
 * trip of 2 × delayMs, so that streams are on the wire when the server says GOAWAY) and reads
 * the frame headers to tell which streams the client sent before it saw a GOAWAY.
 */
export async function startRelay(targetPort: number, delayMs: number): Promise<Relay> {
  const sentBeforeGoaway = new Set<number>();
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(server);
    let goawayHanded = false;
    const fromClient = frameReader(PREFACE_LENGTH, (type, streamId) => {
      if (type === HEADERS && !goawayHanded) sentBeforeGoaway.add(streamId);
    });
    const fromServer = frameReader(0, (type) => {
      if (type === GOAWAY) goawayInChunk = true;
    });
    let goawayInChunk = false;
    client.on('data', (chunk: Buffer) => {
      fromClient(chunk);
      setTimeout(() => server.write(chunk), delayMs);
    });
    server.on('data', (chunk: Buffer) => {
      goawayInChunk = false;
      fromServer(chunk);
      const carriesGoaway = goawayInChunk;
      setTimeout(() => {
        client.write(chunk);
        if (carriesGoaway) goawayHanded = true;
      }, delayMs);
    });
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
      from.on('close', () => setTimeout(() => to.destroy(), delayMs + 1));
    }
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const { port } = relay.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    sentBeforeGoaway,
    async close() {
      for (const socket of sockets) socket.destroy();
      relay.close();
    },
  };
}
