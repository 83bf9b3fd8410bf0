import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
/** Answers a request itself (a probe) and returns `true`, or returns `false` to pass it on. */
export type RequestAnswer = (req: IncomingMessage, res: ServerResponse) => boolean;
type AnyListener = (...args: unknown[]) => unknown;

/**
 * The app's own request listener when the server has exactly one plain one (not a `once()`
 * wrapper): the shape in which lameduck's listener can stand in front of it.
 */
export function soleRequestListener(server: EventEmitter): AnyListener | undefined {
  const listeners = server.rawListeners('request');
  const app = listeners.length === 1 ? (listeners[0] as AnyListener) : undefined;
  return app !== undefined && (app as { listener?: unknown }).listener === undefined ? app : undefined;
}

export interface RequestTracking {
  /** Puts lameduck's listener back in front when something took the server's `request` listeners over. */
  ensure(): void;
  /** Takes lameduck's listener off and gives the app its own listener back, where it was. */
  remove(): void;
}

/**
 * Makes `track` see every request before the app does.
 *
 * When the server has one `request` listener (the app's: `http.createServer(app)`,
 * `app.listen()`, Fastify's, Nest's), that listener is wrapped: node then emits every request to
 * one function. A second, prepended listener would cost each request an array copy and another
 * call inside node's emit (measured: 1–2 % of a bare Fastify request). The wrapper carries the
 * app's function as `listener`, as node's own `once()` wrappers do, so `server.listeners()`
 * still reports it and `server.removeListener('request', app)` still removes it.
 *
 * Any other shape (no listener yet, several, a `once()` one) gets a prepended listener. Should
 * something take the listeners over later (socket.io copies and replaces them), lameduck's goes
 * in front again before the next request is read.
 *
 * With `answer` (the probes), a request it answers never reaches the app. That needs the
 * wrapper: a prepended listener cannot keep node from emitting to the app's too. In any other
 * shape `answer` is left out and `onUnanswered` told (the caller checks the shape first).
 */
export function trackRequestsFirst(
  server: EventEmitter,
  track: RequestListener,
  answer?: RequestAnswer,
  onUnanswered?: () => void,
): RequestTracking {
  let wrapper: AnyListener | undefined;
  let wired = true;

  const installed = (): boolean =>
    server.rawListeners('request').some((listener) => listener === wrapper || listener === track);

  const install = (): void => {
    const app = soleRequestListener(server);
    if (app !== undefined) {
      // Two functions, not one with a test in it: a server without `answer` pays nothing for it.
      const tracked =
        answer === undefined
          ? function trackedRequestListener(this: unknown, req: IncomingMessage, res: ServerResponse) {
              track(req, res);
              return app.call(this, req, res);
            }
          : function probingRequestListener(this: unknown, req: IncomingMessage, res: ServerResponse) {
              track(req, res);
              if (answer(req, res)) return undefined;
              return app.call(this, req, res);
            };
      (tracked as { listener?: unknown }).listener = app;
      wrapper = tracked as AnyListener;
      server.removeListener('request', app);
      server.on('request', wrapper);
      return;
    }
    wrapper = undefined;
    if (answer !== undefined) onUnanswered?.();
    server.prependListener('request', track);
  };

  // A microtask later: whoever removed the listeners has put theirs in by then (a request is
  // only read from a socket after the microtasks ran).
  const ensure = (): void => {
    if (wired && !installed()) install();
  };
  const onListenerRemoved = (event: unknown): void => {
    if (event === 'request') queueMicrotask(ensure);
  };

  install();
  server.on('removeListener', onListenerRemoved);

  return {
    ensure,
    remove() {
      if (!wired) return;
      wired = false;
      server.removeListener('removeListener', onListenerRemoved);
      server.removeListener('request', track);
      const current = wrapper;
      if (current === undefined) return;
      const listeners = server.rawListeners('request');
      const at = listeners.indexOf(current);
      if (at === -1) return;
      // The app's listener back in the wrapper's place, every other listener where it was.
      const app = (current as unknown as { listener: AnyListener }).listener;
      for (const listener of listeners) server.removeListener('request', listener as AnyListener);
      for (const listener of listeners)
        server.on('request', (listener === current ? app : listener) as AnyListener);
    },
  };
}
