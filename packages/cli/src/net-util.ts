import * as http from 'node:http';
import * as net from 'node:net';

/** The only address the simulator talks to. */
export const LOOPBACK = '127.0.0.1';

/** Asks the kernel for a free TCP port on 127.0.0.1 (listen on 0, read the port, close). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ProbeResult {
  /** The HTTP status, when a response arrived. */
  readonly status?: number;
  /** The error code (`ECONNREFUSED`, `TIMEOUT`, …) when none did. */
  readonly error?: string;
}

/**
 * One `GET path` on 127.0.0.1:port over a fresh connection (`Connection: close`), like the
 * kubelet's prober. Never rejects.
 */
export function httpGet(
  port: number,
  path: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
  host: string = LOOPBACK,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = http.request(
      {
        host,
        port,
        path,
        method: 'GET',
        agent: false,
        headers: { ...headers, connection: 'close' },
      },
      (res) => {
        res.resume();
        res.once('end', () => done({ status: res.statusCode ?? 0 }));
        res.once('error', () => done({ status: res.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => {
      done({ error: 'TIMEOUT' });
      req.destroy();
    }, timeoutMs);
    req.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    req.end();
  });
}

/**
 * Calls `fn` once `performance.now()` has reached `at` (node timers may fire a fraction of a
 * millisecond early; this never does). Returns a cancel function.
 */
export function runAt(at: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(
      () => {
        if (performance.now() < at) arm();
        else fn();
      },
      Math.max(0, Math.ceil(at - performance.now())),
    );
  };
  arm();
  return () => clearTimeout(timer);
}

/** Resolves after at least `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const onAbort = () => {
      cancel();
      resolve();
    };
    const cancel = runAt(performance.now() + ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
