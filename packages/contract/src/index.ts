import type { Lameduck, LameduckOptions } from '@lameduck/core';

/**
 * What an adapter's test harness must provide to run the shared contract suite.
 * Every adapter (Express, Koa, Fastify, NestJS on both platforms) runs the same suite.
 */
export interface ContractApp {
  /** Base URL, e.g. http://127.0.0.1:PORT (port 0 was used). */
  readonly url: string;
  /** The lameduck instance wired into the app. */
  readonly lameduck: Lameduck;
  /** Tears the app down if the test did not shut it down (idempotent). */
  close(): Promise<void>;
}

export interface ContractHarness {
  /** Shown in test names, e.g. 'express 5'. */
  readonly name: string;
  /**
   * Starts an app listening on 127.0.0.1 port 0 with lameduck wired in the adapter's own way.
   * Business routes the app must have: `GET /` → 200 'ok' at once; `GET /slow?ms=N` → 200 after N ms;
   * probes at `/readyz` and `/livez` (or the paths in `probes`).
   * `options` always sets `signals: false` and an `exit` spy; the harness passes them through.
   */
  start(options: LameduckOptions, probes?: { readinessPath?: string; livenessPath?: string }): Promise<ContractApp>;
}

export { runAdapterContract } from './contract.js';
