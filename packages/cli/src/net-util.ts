import * as http from 'node:http';
import * as http2 from 'node:http2';
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
    req.once('error', (error: NodeJS.ErrnoException) => {
      // An h2c-only replica answers an HTTP/1.1 request with HTTP/2 frames: ask again in h2c.
      if (error.code === 'HPE_INVALID_CONSTANT' && !settled) {
        clearTimeout(timer);
        settled = true;
        void h2cGet(port, path, timeoutMs, headers, host).then(resolve);
        return;
      }
      done({ error: error.code ?? error.message });
    });
    req.end();
  });
}

/** `httpGet` over HTTP/2 cleartext (prior knowledge), for replicas that serve h2c only. */
function h2cGet(
  port: number,
  path: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>>,
  host: string,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: 'TIMEOUT' }), timeoutMs);
    session.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    const stream = session.request({ ...headers, ':path': path });
    let status = 0;
    stream.once('response', (answer) => {
      status = Number(answer[':status']);
    });
    stream.on('error', () => {});
    stream.resume();
    stream.once('close', () =>
      done(status === 0 ? { error: `stream reset (code ${stream.rstCode})` } : { status }),
    );
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
