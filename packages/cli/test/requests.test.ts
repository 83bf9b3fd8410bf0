import * as net from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure } from '../src/requests.js';

// Real undici errors from a real server that closes a connection as a request arrives on it.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers the first `answered` requests on each connection, then closes it under the next one. */
async function origin(answered: number): Promise<Pool> {
  const server = net.createServer((socket) => {
    let requests = 0;
    socket.on('error', () => {});
    socket.on('data', () => {
      requests += 1;
      if (requests > answered) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { connections: 1 });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => pool.destroy());
  return pool;
}

async function failureOf(pool: Pool): Promise<unknown> {
  return pool.request({ path: '/', method: 'GET' }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('classifyFailure on undici errors', () => {
  it('a kept-alive connection closed under its next request is the idle-close race', async () => {
    const pool = await origin(1);
    const first = await pool.request({ path: '/', method: 'GET' });
    await first.body.text();
    expect(classifyFailure(await failureOf(pool)).failure).toBe('idleClose');
  });

  it('a new connection closed under its first request is a plain hang-up', async () => {
    const pool = await origin(0);
    expect(classifyFailure(await failureOf(pool)).failure).toBe('closed');
  });
});
