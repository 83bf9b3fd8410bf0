import type { Lameduck, State } from '@lameduck/core';
import type { FastifyInstance } from 'fastify';

/** Avvio's `onClose(fn)`: Fastify exposes it on every instance; its types only list `addHook`. */
interface AvvioOnClose {
  onClose(fn: () => Promise<void>): unknown;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Resolves once the core reached `state` (or has already). */
function whenState(lameduck: Lameduck, wanted: State): Promise<void> {
  if (lameduck.state === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const onState = (state: State) => {
      if (state !== wanted) return;
      lameduck.off('state', onState);
      resolve();
    };
    lameduck.on('state', onState);
  });
}

/**
 * Makes Fastify's close sequence the core's cleanup step, whoever starts it.
 *
 * Fastify's first close handler turns `return503OnClosing` on and calls `server.close()`. It is
 * registered when the app becomes ready, and Avvio runs close handlers last registered first,
 * so a handler registered from `onReady` runs before it. That handler holds `app.close()` until
 * the core has drained HTTP: until then Fastify does not know it is closing and serves every
 * request normally. Then Fastify finds the server closed and runs the `onClose` hooks with
 * nothing in flight.
 *
 * - SIGTERM / `lameduck.shutdown()`: the core drains, then its `fastify.close` hook calls
 *   `app.close()`; the held handler lets it through at once.
 * - `app.close()`: the held handler starts the core's shutdown and waits for that same
 *   `fastify.close` hook's turn; the hook then waits for the `onClose` hooks instead of closing
 *   again, and `app.close()` resolves once the core has stopped.
 *
 * `onCloseStarts` is called when it is `app.close()` that starts the shutdown.
 */
export function wireCloseSequence(
  fastify: FastifyInstance,
  lameduck: Lameduck,
  onCloseStarts: () => void,
): void {
  let startedByClose = false;
  const fastifyTurn = deferred();
  const onCloseHooksDone = deferred();

  const { cleanupTimeoutMs } = lameduck.options;
  lameduck.onShutdown(
    'fastify.close',
    async () => {
      fastifyTurn.resolve();
      if (startedByClose) await onCloseHooksDone.promise;
      else await fastify.close();
    },
    // app.close() runs every onClose hook of the app: it gets the whole cleanup budget.
    { timeoutMs: cleanupTimeoutMs > 0 ? cleanupTimeoutMs : undefined },
  );

  fastify.addHook('onReady', async () => {
    (fastify as unknown as AvvioOnClose).onClose(async () => {
      if (lameduck.state === 'starting' || lameduck.state === 'serving') {
        let stopped: Promise<unknown>;
        try {
          stopped = lameduck.shutdown('fastify.close()');
        } catch {
          return; // The instance was disposed: Fastify closes on its own.
        }
        startedByClose = true;
        onCloseStarts();
        // Failures inside the sequence are logged by the core and end in its exit code.
        stopped.catch(() => {});
      }
      // The turn never comes when earlier hooks spent the cleanup budget: HTTP is drained anyway.
      await Promise.race([fastifyTurn.promise, whenState(lameduck, 'stopped')]);
    });
  });

  // Runs after the onClose hooks registered after the plugin (Avvio: last registered first).
  fastify.addHook('onClose', async () => {
    if (lameduck.state === 'starting' || lameduck.state === 'serving') {
      lameduck.dispose(); // Closed before it was ever ready: nothing was served.
      return;
    }
    onCloseHooksDone.resolve();
    if (startedByClose) await lameduck.shutdown().catch(() => undefined);
  });
}
