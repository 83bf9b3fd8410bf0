import type { DrainableServer } from '../types.js';

/**
 * The start-up warning for a server whose idle keep-alive sockets close before the balancer's:
 * the balancer then sends a request on a connection node is closing at that very moment, and
 * answers 502. Undefined when the server keeps them open longer (0 means no timeout at all).
 */
export function keepAliveMessage(server: DrainableServer, balancerIdleTimeoutMs: number): string | undefined {
  // HTTP/2 servers have no keepAliveTimeout: their sessions idle out on `timeout`, and GOAWAY.
  const keepAlive = keepAliveTimeoutOf(server);
  if (keepAlive === undefined || keepAlive === 0 || keepAlive > balancerIdleTimeoutMs) return undefined;
  const address = server.address();
  const where = address !== null && typeof address === 'object' ? ` on port ${address.port}` : '';
  return `lameduck: the server${where} closes idle keep-alive connections after ${keepAlive} ms (keepAliveTimeout), not after the balancer's idle timeout of ${balancerIdleTimeoutMs} ms (balancerIdleTimeoutMs): the balancer will reuse a connection node is closing at that moment and answer 502, at random and on every deploy. Fix: server.keepAliveTimeout = ${balancerIdleTimeoutMs + 1000} (above the balancer's idle timeout; Fastify: the keepAliveTimeout option of fastify()).`;
}

/** The server's keepAliveTimeout, or undefined for a server that has none (HTTP/2). */
export function keepAliveTimeoutOf(server: DrainableServer): number | undefined {
  const value = (server as { keepAliveTimeout?: unknown }).keepAliveTimeout;
  return typeof value === 'number' ? value : undefined;
}
