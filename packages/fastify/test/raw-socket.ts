import * as net from 'node:net';
import { sleep } from '@lameduck/contract';

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
