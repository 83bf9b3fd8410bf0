import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLameduck,
  type Lameduck,
  LameduckError,
  type LameduckOptions,
  type Logger,
  type State,
} from '../../src/index.js';

/** A lameduck wired for in-process tests: signals from an EventEmitter, exit recorded, no env. */
export interface TestLameduck {
  readonly lameduck: Lameduck;
  readonly signals: EventEmitter;
  /** Every code passed to `exit()`, in order. */
  readonly exits: number[];
  /** Resolves with the first exit code. */
  readonly exited: Promise<number>;
}

export function createTestLameduck(options: LameduckOptions = {}): TestLameduck {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const lameduck = createLameduck({
    env: {},
    signalSource: signals,
    exit: (code) => {
      exits.push(code);
      resolveExit(code);
    },
    ...options,
  });
  return { lameduck, signals, exits, exited };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real node:http server on 127.0.0.1, port 0. */
export async function listen(handler: Handler, options: http.ServerOptions = {}): Promise<http.Server> {
  const server = http.createServer(options, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export function portOf(server: { address(): AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}

export function originOf(server: { address(): AddressInfo | string | null }): string {
  return `http://127.0.0.1:${portOf(server)}`;
}

/** Closes a server and every connection it still has (test cleanup only). */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) {
    server.closeAllConnections();
    return;
  }
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

/** Resolves the next time the instance enters `state`. */
export function nextState(lameduck: Lameduck, state: State): Promise<void> {
  return new Promise((resolve) => {
    const listener = (next: State) => {
      if (next !== state) return;
      lameduck.off('state', listener);
      resolve();
    };
    lameduck.on('state', listener);
  });
}

/** A promise plus its resolve function: lets a test decide when a handler answers. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A logger that keeps its warnings (and drops every other line). */
export function warningLogger(): Logger & {
  warnings: Array<{ obj: Record<string, unknown>; msg?: string }>;
} {
  const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  return {
    warnings,
    debug() {},
    info() {},
    warn(obj, msg) {
      warnings.push({ obj: obj as Record<string, unknown>, msg });
    },
    error() {},
  };
}

/** The code of the LameduckError `fn` throws (undefined when it throws nothing); any other error is rethrown. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof LameduckError)) throw error;
    return error.code;
  }
  return undefined;
}
