import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createTestLameduck, delay, gate, listen, originOf, portOf } from './support/harness.js';

// What the drain and memory need of the bookkeeping while serving, whatever its design (a
// listener per response, or responses settled later without one): a long response stays
// counted however many requests pass it, and a finished one is not held by an idle socket.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw keep-alive client socket that collects what it receives. */
function rawSocket(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  const raw = { socket, received: '' };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    raw.received += chunk;
  });
  return raw;
}

async function requests(client: Client, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await (await client.request({ path: '/', method: 'GET' })).body.text();
}

describe('responses while serving', () => {
  it('a response in flight while 100 newer requests were served is still counted, says Connection: close at the drain and is waited for', async () => {
    const release = gate();
    let held: http.ServerResponse | undefined;
    const s = await listen((req, res) => {
      if (req.url !== '/slow') {
        res.end('ok');
        return;
      }
      held = res;
      void release.promise.then(() => res.end('slow done'));
    });
    s.keepAliveTimeout = 30_000;
    cleanups.push(() => closeServer(s));
    const { lameduck } = createTestLameduck({ drainDelayMs: 50, drainTimeoutMs: 5000 });
    lameduck.attach(s);

    const slow = rawSocket(portOf(s));
    slow.socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    for (let i = 0; i < 100 && held === undefined; i += 1) await delay(5);
    const client = new Client(originOf(s));
    cleanups.push(() => client.destroy().catch(() => {}));
    await requests(client, 100);
    expect(lameduck.stats().inFlight).toBe(1);

    const closed = once(slow.socket, 'close');
    const result = lameduck.shutdown('test');
    await delay(20);
    expect(held?.getHeader('connection')).toBe('close');
    release.open();
    await closed;
    expect(slow.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(slow.received.toLowerCase()).toContain('connection: close');
    expect(slow.received).toContain('slow done');
    const summary = await result;
    expect(summary.exitCode).toBe(0);
    expect(summary.socketsDestroyed).toBe(0);
  });

  it('idle keep-alive sockets do not keep their last response: it can be collected once a newer request was served', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((url) => collected.add(url));
    const s = await listen((req, res) => {
      if (req.url?.startsWith('/idle') === true) registry.register(res, req.url);
      res.end('ok');
    });
    s.keepAliveTimeout = 30_000;
    cleanups.push(() => closeServer(s));
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 5000 });
    lameduck.attach(s);

    // Ten sockets carry one request each, then sit idle with their keep-alive answer.
    const idle = Array.from({ length: 10 }, () => rawSocket(portOf(s)));
    for (const [i, raw] of idle.entries())
      raw.socket.write(`GET /idle-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    for (let i = 0; i < 100 && idle.some((raw) => !raw.received.endsWith('ok')); i += 1) await delay(5);
    const client = new Client(originOf(s));
    cleanups.push(() => client.destroy().catch(() => {}));
    await requests(client, 1);

    for (let i = 0; i < 20 && collected.size < idle.length; i += 1) {
      gc();
      await delay(10);
    }
    expect(collected.size).toBe(idle.length);
    expect(lameduck.stats()).toMatchObject({ inFlight: 0, open: { http: 11 } });
    lameduck.dispose();
  });
});
