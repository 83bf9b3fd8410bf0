import type { Lameduck, State } from '@lameduck/core';
import type { FastifyInstance } from 'fastify';

/** Avvio's `onClose(fn)`: Fastify exposes it on every instance; its types only list `addHook`. */
interface AvvioOnClose {
  onClose(fn: () => Promise<void>): unknown;
}

const HTTP_DRAINED: readonly State[] = ['cleanup', 'stopped'];

/** Resolves once the core has left draining and closing: the listener is closed, no request is in flight. */
export function whenHttpDrained(lameduck: Lameduck): Promise<void> {
  if (HTTP_DRAINED.includes(lameduck.state)) return Promise.resolve();
  return new Promise((resolve) => {
    const onState = (state: State) => {
      if (!HTTP_DRAINED.includes(state)) return;
      lameduck.off('state', onState);
      resolve();
    };
    lameduck.on('state', onState);
  });
}

/**
 * Puts lameduck in front of Fastify's own close sequence, so that `app.close()` drains first.
 *
 * Fastify registers its internal close handler (which turns on `return503OnClosing`, runs
 * `preClose` and calls `server.close()`) when the app becomes ready, and Avvio runs close
 * handlers last registered first. A handler registered from `onReady` therefore runs before
 * it: while it waits for the drain, Fastify does not know it is closing, so it serves every
 * request normally. Once HTTP has drained, Fastify's handler finds the server already closed,
 * and the app's `onClose` hooks (the database) run with nothing in flight.
 *
 * `onCloseStarts` is called when it is `app.close()` that starts the shutdown.
 */
export function drainBeforeFastifyCloses(
  fastify: FastifyInstance,
  lameduck: Lameduck,
  onCloseStarts: () => void,
): void {
  fastify.addHook('onReady', async () => {
    (fastify as unknown as AvvioOnClose).onClose(async () => {
      if (lameduck.state === 'starting' || lameduck.state === 'serving') {
        let stopped: Promise<unknown>;
        try {
          stopped = lameduck.shutdown('fastify.close()');
        } catch {
          return; // The instance was disposed: Fastify closes on its own.
        }
        onCloseStarts();
        // Failures inside the sequence are logged by the core and end in its exit code.
        stopped.catch(() => {});
      }
      await whenHttpDrained(lameduck);
    });
  });
}
