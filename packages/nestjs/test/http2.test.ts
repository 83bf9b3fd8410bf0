import { EventEmitter, once } from 'node:events';
import * as http2 from 'node:http2';
import { drainUnderH2Load, expectCleanH2Drain, selfSignedCertificate } from '@lameduck/contract';
import type { ShutdownResult } from '@lameduck/core';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp } from './utils/app.js';
import type { Platform } from './utils/platforms.js';

// NestJS on the Fastify platform with http2: steady HTTP/2 stream load through SIGTERM.

const DRAIN_DELAY_MS = 600;
const { key, cert } = selfSignedCertificate();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const variants: ReadonlyArray<{ name: 'h2c' | 'h2'; platform: Platform }> = [
  { name: 'h2c', platform: { name: 'fastify', createAdapter: () => new FastifyAdapter({ http2: true }) } },
  {
    name: 'h2',
    platform: {
      name: 'fastify',
      createAdapter: () => new FastifyAdapter({ http2: true, https: { key, cert } }),
    },
  },
];

/** The other replica: a plain HTTP/2 server with the same routes. */
async function otherReplica(secure: boolean): Promise<string> {
  const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const url = new URL(req.url, 'http://h2');
    if (url.pathname === '/slow') setTimeout(() => res.end('ok'), Number(url.searchParams.get('ms') ?? 0));
    else res.end('ok');
  };
  const server = secure ? http2.createSecureServer({ key, cert }, handler) : http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
}

describe('NestJS on the Fastify platform with http2', () => {
  it.each(variants)(
    '$name under steady stream load at SIGTERM: no stream fails, the teardown after the drain, exit 0 within the drain delay + 1.5 s',
    async ({ name, platform }) => {
      const signals = new EventEmitter();
      const exit = vi.fn();
      const { app, service, log } = await startApp(platform, {
        lameduck: { signalSource: signals, exit, drainDelayMs: DRAIN_DELAY_MS, drainTimeoutMs: 3000 },
      });
      cleanups.push(() => closeQuietly(app));
      const { port } = app.getHttpServer().address() as { port: number };
      const outcome = await drainUnderH2Load({
        replica: `${name === 'h2' ? 'https' : 'http'}://127.0.0.1:${port}`,
        other: await otherReplica(name === 'h2'),
        ca: cert,
        drainDelayMs: DRAIN_DELAY_MS,
        shutdown: () => {
          const stopped = new Promise<ShutdownResult>((resolve) => service.lameduck.once('stopped', resolve));
          signals.emit('SIGTERM', 'SIGTERM');
          return stopped;
        },
      });
      expectCleanH2Drain(`nestjs fastify ${name}`, outcome, DRAIN_DELAY_MS);
      // Providers were destroyed after HTTP had drained (Nest's teardown runs as a cleanup hook).
      expect(log.events).toContain('pool:onModuleDestroy');
      expect(exit).toHaveBeenCalledWith(0);
    },
  );
});

async function closeQuietly(app: INestApplication): Promise<void> {
  await app.close().catch(() => undefined);
}
