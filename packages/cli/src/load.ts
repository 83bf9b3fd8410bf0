import type { RequestRecord } from './requests.js';

/** What every load gets: where the balancer listens and how hard to push. */
export interface LoadOptions {
  /** The balancer's address. */
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly rate: number;
  readonly slowRatio: number;
  readonly slowMs: number;
  readonly timeoutMs: number;
  /** Requests per second that each open a new connection (clients that connect anew). */
  readonly newConnectionRate: number;
  /** `POST`: a small JSON body to `POST /`, which the service echoes (never retried). */
  readonly method: 'GET' | 'POST';
  /**
   * Mean think time per connection (exponential), in ms: each connection waits that long
   * between its requests instead of a pool-wide rate. 0: the pool-wide `rate`.
   */
  readonly thinkMs: number;
  /** The slow route (`GET <slowPath>?ms=N`), or null when the service has none. */
  readonly slowPath: string | null;
}

/**
 * Client load through the balancer, whichever protocol it speaks. Each kind is one module
 * (`load-<kind>.ts`) exporting a {@link LoadFactory}; `loads.ts` lists them. Every load is
 * bounded: in flight by its connection count, in time by the caller (`stopSteady`, `close`).
 */
export interface Load {
  /** One line for the progress output. */
  readonly description: string;
  /** Every finished request (or stream, or message exchange), in the order they finished. */
  readonly records: readonly RequestRecord[];
  /** Requests in flight now. */
  readonly inFlight: number;
  /** Opens every connection (one request on each) and leaves them idle: the `idle` profile. */
  warmUp(): Promise<void>;
  /** Starts sending at the configured rate until `stopSteady()`. */
  startSteady(): void;
  stopSteady(): void;
  /** Waits for what is in flight, then closes every connection. */
  close(): Promise<void>;
  /** Destroys every connection at once (abort path). */
  destroy(): Promise<void>;
}

export type LoadFactory = (options: LoadOptions) => Load;
