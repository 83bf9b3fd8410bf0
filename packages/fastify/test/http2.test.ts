import { drainUnderH2Load, expectCleanH2Drain, selfSignedCertificate } from '@lameduck/contract';
import type { ShutdownResult } from '@lameduck/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lameduck } from '../src/index.js';
import { addRoutes } from './harness.js';

const DRAIN_DELAY_MS = 600;
const { key, cert } = selfSignedCertificate();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Fastify `http2: true` app (TLS with `https` for h2) on 127.0.0.1, port 0. */
async function startH2App(kind: 'h2c' | 'h2', withLameduck: boolean) {
  const app: FastifyInstance = (kind === 'h2'
    ? Fastify({ http2: true, https: { key, cert } })
    : Fastify({ http2: true })) as unknown as FastifyInstance;
  const exits: number[] = [];
  if (withLameduck) {
    await app.register(lameduck, {
      drainDelayMs: DRAIN_DELAY_MS,
      drainTimeoutMs: 3000,
      signals: false,
      summary: false,
      env: {},
      exit: (code) => exits.push(code),
    });
  }
  addRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  cleanups.push(async () => {
    if (withLameduck && app.lameduck.state === 'serving') app.lameduck.dispose();
    await app.close().catch(() => undefined);
  });
  return { app, exits, origin: `${kind === 'h2' ? 'https' : 'http'}://127.0.0.1:${port}` };
}

describe('Fastify http2: true', () => {
  it.each([
    ['h2c', 'lameduck.shutdown()'],
    ['h2', 'lameduck.shutdown()'],
    ['h2c', 'app.close()'],
    ['h2', 'app.close()'],
  ] as const)(
    '%s under steady stream load, shut down by %s: no stream fails, exit 0 within the drain delay + 1.5 s',
    async (kind, how) => {
      const replica = await startH2App(kind, true);
      const other = await startH2App(kind, false);
      const outcome = await drainUnderH2Load({
        replica: replica.origin,
        other: other.origin,
        ca: cert,
        drainDelayMs: DRAIN_DELAY_MS,
        shutdown: async () => {
          const { app } = replica;
          const stopped = new Promise<ShutdownResult>((resolve) => app.lameduck.once('stopped', resolve));
          await (how === 'app.close()' ? app.close() : app.lameduck.shutdown('test'));
          return stopped;
        },
      });
      // Served through the whole delay: Fastify's own close (and the GOAWAY that node 24's
      // http2Server.close() sends every session) came only after the drain.
      expectCleanH2Drain(`fastify ${kind} (${how})`, outcome, DRAIN_DELAY_MS);
      // app.close() hands the process to its caller; a shutdown that lameduck started exits.
      expect(replica.exits).toEqual(how === 'app.close()' ? [] : [0]);
    },
  );
});
