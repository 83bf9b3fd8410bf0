import * as net from 'node:net';
import { Client } from 'undici';

export interface Answer {
  readonly status: number;
  /** The `connection` response header, lower-cased ('' when absent). */
  readonly connection: string;
  readonly body: string;
  /** When the whole body had arrived (Date.now()). */
  readonly endedAt: number;
}

/** One keep-alive HTTP/1.1 connection pool of size 1, no retries; counts its connections. */
export class KeepAliveClient {
  private readonly client: Client;
  connections = 0;
  disconnections = 0;

  constructor(url: string) {
    this.client = new Client(url, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    this.client.on('connect', () => {
      this.connections += 1;
    });
    this.client.on('disconnect', () => {
      this.disconnections += 1;
    });
  }

  async get(path: string): Promise<Answer> {
    const response = await this.client.request({
      path,
      method: 'GET',
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const body = await response.body.text();
    const connection = response.headers.connection;
    return {
      status: response.statusCode,
      connection: String(connection ?? '').toLowerCase(),
      body,
      endedAt: Date.now(),
    };
  }

  async close(): Promise<void> {
    await this.client.destroy().catch(() => undefined);
  }
}

/** One request on a fresh connection. */
export async function getOnNewConnection(url: string, path: string): Promise<Answer> {
  const client = new KeepAliveClient(url);
  try {
    return await client.get(path);
  } finally {
    await client.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A bare keep-alive client that never closes its socket by itself (as a proxy's upstream
 * pool may hold a connection for 60 s), to see when the *server* closes it. Sends one GET,
 * resolves once the whole chunked or sized response arrived.
 */
export class RawKeepAliveSocket {
  private readonly socket: net.Socket;
  private received = '';
  /** When the server closed the socket (Date.now()), once it has. */
  closedAt: number | undefined;
  readonly connected: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect({ host: hostname, port: Number(port) });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => {
      this.received += chunk.toString('latin1');
    });
    this.socket.on('error', () => {});
    this.socket.once('close', () => {
      this.closedAt = Date.now();
    });
  }

  /** Sends `GET path`; resolves with the raw response head and when it fully arrived. */
  async get(path: string): Promise<{ head: string; endedAt: number }> {
    await this.connected;
    this.received = '';
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const headEnd = this.received.indexOf('\r\n\r\n');
      if (headEnd !== -1) {
        const head = this.received.slice(0, headEnd);
        const body = this.received.slice(headEnd + 4);
        const length = /content-length: *(\d+)/i.exec(head)?.[1];
        const complete = length === undefined ? body.endsWith('0\r\n\r\n') : body.length >= Number(length);
        if (complete) return { head: head.toLowerCase(), endedAt: Date.now() };
      }
      if (this.closedAt !== undefined)
        throw new Error(`socket closed before the response ended: ${this.received}`);
      await sleep(5);
    }
    throw new Error('no complete response within 20 s');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
