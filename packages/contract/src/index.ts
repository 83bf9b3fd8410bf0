import type { Lameduck, LameduckOptions } from '@lameduck/core';

/** Probe paths a harness passes to its adapter (the adapter's own option names). */
export interface ContractProbePaths {
  readonly readinessPath?: string;
  readonly livenessPath?: string;
}

/**
 * One running app built by a harness. Every adapter (Express, Koa, Fastify, NestJS on both
 * platforms) runs the same suite through this small interface.
 */
export interface ContractApp {
  /** Base URL, e.g. http://127.0.0.1:PORT (port 0 was used). */
  readonly url: string;
  /** The lameduck instance wired into the app. */
  readonly lameduck: Lameduck;
  /** Tears the app down if the test did not shut it down (idempotent, never throws). */
  close(): Promise<void>;
}

export interface ContractHarness {
  /** Shown in test names, e.g. 'express 5'. */
  readonly name: string;
  /**
   * Starts an app listening on 127.0.0.1 port 0 with lameduck wired in the adapter's own way
   * (server attached, so the listener can be closed).
   *
   * Routes the app must have:
   * - `GET /` → 200 `ok` at once;
   * - `GET /slow?ms=N` → 200 `slow` after N ms;
   * - probes at `/readyz` and `/livez`, or at the paths in `probes`;
   * - `/ws` → an echo WebSocket (each text message sent back), `GET /events` → an SSE stream
   *   with one `data:` event every 200 ms, both registered the way the adapter's README says;
   * - any other path → 404 (the framework's default).
   *
   * `options` always holds `signals: false`, an `exit` spy, `env: {}` and a logger; pass them
   * through to the lameduck instance unchanged.
   */
  start(options: LameduckOptions, probes?: ContractProbePaths): Promise<ContractApp>;
}

export {
  adapterTestScope,
  type BuiltAdapter,
  closeServer,
  contractApp,
  expectLameduckError,
  type MiddlewareAdapter,
  recordingLogger,
  testBuiltAdapter,
  testMiddlewareAdapter,
  urlOf,
} from './adapter-test-kit.js';
export { type Answer, getOnNewConnection, KeepAliveClient, sleep, tryConnect } from './client.js';
export { runAdapterContract } from './contract.js';
export {
  type ExampleServer,
  type ExampleSummary,
  logLines,
  summaryOf,
  testExampleServer,
  waitForReadiness,
} from './example-process.js';
export {
  drainUnderH2Load,
  expectCleanH2Drain,
  type H2DrainOutcome,
  type H2DrainRun,
  type H2Load,
  type H2LoadCounts,
  type H2LoadOptions,
  selfSignedCertificate,
  startH2Load,
} from './h2-load.js';
export {
  type EventStreamClient,
  echoMessages,
  openEventStream,
  openWebSocket,
  parseEndedStream,
  serveEvents,
  type WebSocketClient,
} from './long-lived.js';
export {
  type Exit,
  killServerProcesses,
  type ServerProcess,
  type StartOptions,
  startServerProcess,
} from './process.js';
