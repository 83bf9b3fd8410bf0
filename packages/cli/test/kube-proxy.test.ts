import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BalancerContext } from '../src/balancer.js';
import { KubeProxyBalancer, kubeProxyBalancer } from '../src/balancer-kube-proxy.js';

// Real TCP: two backends that answer each line with their name, the balancer in front.

interface Backend {
  readonly port: number;
  readonly server: net.Server;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function backend(name: string, { endAfterAnswer = false } = {}): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('utf8');
    socket.on('data', () => {
      if (endAfterAnswer) socket.end(`${name}\n`);
      else socket.write(`${name}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, server };
}

async function balancer(...backends: [string, Backend][]): Promise<{ lb: KubeProxyBalancer; port: number }> {
  const lb = new KubeProxyBalancer();
  const port = await lb.listen();
  for (const [name, b] of backends) lb.addEndpoint(name, b.port);
  cleanups.push(() => lb.close());
  return { lb, port };
}

/** A client connection that can ask which backend it talks to. */
async function connect(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  cleanups.push(() => {
    socket.destroy();
  });
  const ended = new Promise<'end' | 'reset'>((resolve) => {
    socket.once('error', () => resolve('reset'));
    socket.once('end', () => resolve('end'));
  });
  // A reset can arrive before 'connect' is seen; `ended` tells.
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), ended]);
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let index = buffered.indexOf('\n');
    while (index !== -1) {
      const line = buffered.slice(0, index);
      buffered = buffered.slice(index + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
      index = buffered.indexOf('\n');
    }
  });
  return {
    socket,
    ended,
    ask(): Promise<string> {
      socket.write('who?\n');
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('KubeProxyBalancer', () => {
  it('sends new connections round robin over the listed endpoints', async () => {
    const { port } = await balancer(['a', await backend('a')], ['b', await backend('b')]);
    const answers: string[] = [];
    for (let i = 0; i < 4; i += 1) answers.push(await (await connect(port)).ask());
    expect(answers).toEqual(['a', 'b', 'a', 'b']);
  });

  it('keeps an established connection on its endpoint after the endpoint is removed (conntrack)', async () => {
    const { lb, port } = await balancer(['a', await backend('a')], ['b', await backend('b')]);
    const onA = await connect(port);
    expect(await onA.ask()).toBe('a');
    const onB = await connect(port);
    expect(await onB.ask()).toBe('b');

    lb.removeEndpoint('a');
    expect(lb.listed()).toEqual(['b']);
    // The old connection still reaches a, many times over.
    for (let i = 0; i < 3; i += 1) expect(await onA.ask()).toBe('a');
    // Every new connection goes to b.
    for (let i = 0; i < 3; i += 1) expect(await (await connect(port)).ask()).toBe('b');

    const stats = lb.stats();
    expect(stats.afterRemoval.a?.open).toBe(1);
    expect(stats.afterRemoval.a?.bytesFromPod).toBe(3 * 'a\n'.length);
    expect(lb.endpointOf(onA.socket.localPort ?? 0)).toBe('a');
  });

  it('tells which endpoint a client connection is routed to, even when asked before the accept ran', async () => {
    const { lb, port } = await balancer(['a', await backend('a')], ['b', await backend('b')]);
    const asked: Promise<string>[] = [];
    // Ask from the client's own connect callback: the balancer may not have routed it yet.
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      asked.push(lb.whenRouted(socket.localPort ?? 0));
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    const first = await asked[0];
    expect(['a', 'b']).toContain(first);
    expect(lb.endpointOf(socket.localPort ?? 0)).toBe(first);
    socket.destroy();
  });

  it('passes the pod closing a connection on to the client as a clean end', async () => {
    const { port } = await balancer(['a', await backend('a', { endAfterAnswer: true })]);
    const client = await connect(port);
    expect(await client.ask()).toBe('a');
    expect(await client.ended).toBe('end');
  });

  it('resets the client when the pod refuses the connection, and counts it', async () => {
    const gone = await backend('gone');
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const { lb, port } = await balancer(['gone', gone]);
    const client = await connect(port);
    expect(await client.ended).toBe('reset');
    expect(lb.stats().refusedByPod.gone).toBe(1);
  });

  it('resets new connections when no endpoint is listed', async () => {
    const { lb, port } = await balancer(['a', await backend('a')]);
    lb.removeEndpoint('a');
    const client = await connect(port);
    expect(await client.ended).toBe('reset');
  });

  it('counts new connections per endpoint after a point in time', async () => {
    const { lb, port } = await balancer(['a', await backend('a')], ['b', await backend('b')]);
    await (await connect(port)).ask();
    const mark = performance.now();
    await (await connect(port)).ask();
    await (await connect(port)).ask();
    expect(lb.stats(mark).connectionsAfterDeletion).toEqual({ a: 1, b: 1 });
    expect(lb.stats().connections).toEqual({ a: 2, b: 1 });
  });
});

// A backend and a client in another process; this one only runs the balancer.
const PEER = `
const net = require('node:net');
const server = net.createServer((s) => s.on('data', () => s.write('pod-1\\n')));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
process.stdin.setEncoding('utf8').once('data', (line) => {
  const sentAt = performance.now();
  const client = net.connect({ host: '127.0.0.1', port: Number(line.trim()) }, () => client.write('who?\\n'));
  client.setEncoding('utf8').once('data', (answer) => {
    console.log('answer ' + answer.trim() + ' ' + Math.round(performance.now() - sentAt));
    client.destroy();
    server.close();
    process.stdin.destroy();
  });
});
`;

describe("kubeProxyBalancer (the simulator's --lb kube-proxy)", () => {
  it("forwards on a thread of its own: a request goes through while the simulator's event loop is busy", async () => {
    const peer = spawn(process.execPath, ['-e', PEER], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanups.push(() => {
      if (peer.exitCode === null) peer.kill('SIGKILL');
    });
    peer.stdout.setEncoding('utf8');
    const lines: string[] = [];
    peer.stdout.on('data', (chunk: string) => lines.push(...chunk.trim().split('\n')));
    while (lines.length === 0) await once(peer.stdout, 'data');
    const podPort = Number(lines.shift()?.replace('port ', ''));
    const context = { replicas: [{ name: 'pod-1', port: podPort }] } as unknown as BalancerContext;
    const lb = await kubeProxyBalancer(context);
    cleanups.push(() => lb.close());
    peer.stdin.write(`${lb.port}\n`);
    // This loop is blocked for 1 s, as a busy simulator's can be for a moment: a proxy on it
    // would hold the request for that long.
    const until = performance.now() + 1000;
    while (performance.now() < until) {}
    await once(peer, 'exit');
    const answer = lines.join(' ').match(/^answer (\S+) (\d+)$/);
    expect(answer?.[1], lines.join(' ')).toBe('pod-1');
    expect(Number(answer?.[2])).toBeLessThan(500);
    expect((await lb.stats(0)).connections).toEqual({ 'pod-1': 1 });
  });
});
