import type { ServerResponse } from 'node:http';
import type { Clock, StreamOptions } from './types.js';

/** How often, while closing, in-flight responses are looked at for streams that started late. */
const SWEEP_INTERVAL_MS = 100;

export interface StreamTrackerOptions {
  readonly clock: Clock;
  /** The responses in flight right now (the socket tracker's). */
  readonly inFlight: () => Iterable<ServerResponse>;
}

/**
 * A server-sent event stream: a 200 whose `Content-Type` is `text/event-stream`. When the
 * headers went out through `writeHead(status, headersObject)` node keeps no copy of them, so
 * the request's `Accept: text/event-stream` (what every EventSource sends) tells instead.
 */
export function isEventStream(res: ServerResponse): boolean {
  if (!res.headersSent || res.statusCode !== 200) return false;
  const type = res.getHeader('content-type');
  if (type !== undefined) return String(type).toLowerCase().startsWith('text/event-stream');
  return res.req?.headers.accept?.includes('text/event-stream') === true;
}

/**
 * Ends SSE streams and other endless responses when the listener closes, spread with jitter
 * over the close window. An SSE stream gets a `retry:` hint first. It is written from a timer,
 * so always between two of the app's `write()` calls: an app that writes whole events per
 * `write()` never sees it land inside one. The response then ends cleanly (last chunk, FIN).
 */
export class StreamTracker {
  private readonly clock: Clock;
  private readonly inFlight: () => Iterable<ServerResponse>;
  private readonly marked = new WeakMap<ServerResponse, StreamOptions>();
  private readonly handled = new WeakSet<ServerResponse>();
  private readonly timers = new Set<unknown>();
  private windowMs = 0;
  private windowEnd: number | undefined;
  private stopped = false;

  /** Streams ended by lameduck while closing. */
  ended = 0;

  constructor(options: StreamTrackerOptions) {
    this.clock = options.clock;
    this.inFlight = options.inFlight;
  }

  /** Marks an endless response (long poll, resumable download) that is not an SSE stream. */
  mark(res: ServerResponse, options: StreamOptions): void {
    this.marked.set(res, options);
    if (this.windowEnd !== undefined && !this.stopped) this.consider(res);
  }

  /** Listener closed: every stream found now, or until `stop()`, ends within the window. */
  startClosing(windowMs: number): void {
    this.windowMs = windowMs;
    this.windowEnd = this.clock.now() + windowMs;
    this.sweep();
  }

  /** Everything drained (or was destroyed): no more sweeps, no pending ends. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private sweep(): void {
    if (this.stopped) return;
    for (const res of this.inFlight()) this.consider(res);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.sweep();
    }, SWEEP_INTERVAL_MS);
    timer.unref?.();
    this.timers.add(timer);
  }

  private consider(res: ServerResponse): void {
    if (this.handled.has(res) || res.writableEnded) return;
    const options = this.marked.get(res);
    if (options === undefined && !isEventStream(res)) return;
    this.handled.add(res);
    const left = Math.max(0, (this.windowEnd ?? 0) - this.clock.now());
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.end(res, options);
    }, Math.random() * left);
    this.timers.add(timer);
  }

  private end(res: ServerResponse, options: StreamOptions | undefined): void {
    if (res.writableEnded || res.destroyed) return;
    this.ended += 1;
    if (isEventStream(res)) {
      // Spread the reconnections too: each client waits a random part of the window.
      res.write(`retry: ${Math.round(Math.random() * this.windowMs)}\n\n`);
    }
    if (options?.end === undefined) {
      res.end();
      return;
    }
    try {
      options.end(res);
    } catch {
      res.end();
    }
  }
}
