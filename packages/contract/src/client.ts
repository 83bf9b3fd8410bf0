import * as net from 'node:net';
import { Client } from 'undici';

/** What the contract looks at in a response. */
export interface Answer {
  readonly status: number;
  /** The `connection` response header, lower-cased ('' when absent). */
  readonly connection: string;
  readonly body: string;
  /** When the whole body had arrived (Date.now()). */
  readonly endedAt: number;
}

/**
 * A keep-alive HTTP/1.1 client on one origin, no retries, no pipelining; counts the TCP
 * connections it opened so tests can tell a reused socket from a new one.
 */
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

  async get(
    path: string,
    method: 'GET' | 'HEAD' = 'GET',
    headers: Readonly<Record<string, string>> = {},
  ): Promise<Answer> {
    const response = await this.client.request({
      path,
      method,
      headers,
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const body = await response.body.text();
    const connection = response.headers.connection;
    return {
      status: response.statusCode,
      connection: (Array.isArray(connection) ? connection.join(',') : (connection ?? '')).toLowerCase(),
      body,
      endedAt: Date.now(),
    };
  }

  async close(): Promise<void> {
    await this.client.destroy().catch(() => undefined);
  }
}

/** Opens one fresh connection, sends one request, closes the client. */
export async function getOnNewConnection(
  url: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<Answer> {
  const client = new KeepAliveClient(url);
  try {
    return await client.get(path, 'GET', headers);
  } finally {
    await client.close();
  }
}

/** Tries a bare TCP connection; resolves with the error code, or 'connected'. */
export function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
