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
