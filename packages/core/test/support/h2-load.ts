import * as http2 from 'node:http2';

const { NGHTTP2_REFUSED_STREAM } = http2.constants;

export interface H2LoadOptions {
  /** The origin to open each new session on, asked again for every session (a tiny balancer). */
  readonly origin: () => string;
  /** CA certificate for https origins. */
  readonly ca?: string;
  /** Sessions used at once; each sends one new stream every `intervalMs`. */
  readonly sessions: number;
  readonly intervalMs: number;
  /** The path of the n-th stream. */
  readonly path: (n: number) => string;
  /** A stream not answered in this time fails. @default 10000 */
  readonly streamTimeoutMs?: number;
  /** How often a refused stream is retried on a fresh session. @default 3 */
  readonly retries?: number;
}

export interface H2LoadCounts {
  /** Streams that got their whole 200 response (first try or a retry). */
  ok: number;
  /** Refused streams (REFUSED_STREAM, above the GOAWAY's last stream id) sent again on a fresh session. */
  retried: number;
  /** Streams that got anything else: a reset, a broken session, a timeout, a Connection header. */
  failed: number;
  /** One line per failure (the first 20). */
  failures: string[];
  /** Sessions opened. */
  sessions: number;
  /** Every GOAWAY the client received: [error code, last stream id]. */
  goaways: Array<[number, number]>;
  /** Every refused stream: [origin of its session, stream id]. */
  refused: Array<[string, number]>;
}

export interface H2Load {
  readonly counts: H2LoadCounts;
  /** Stops sending new streams; resolves once every stream (retries included) has ended. */
  stop(): Promise<H2LoadCounts>;
}

/**
 * Steady HTTP/2 stream load with node's http2 client, as a well-behaved client does it: a
 * session that received GOAWAY is replaced by a new one, and a stream refused as retryable
 * (REFUSED_STREAM: never processed) is sent again on a fresh session and counted as retried.
 */
export function startH2Load(options: H2LoadOptions): H2Load {
  const counts: H2LoadCounts = {
    ok: 0,
    retried: 0,
    failed: 0,
    failures: [],
    sessions: 0,
    goaways: [],
    refused: [],
  };
  const origins = new WeakMap<http2.ClientHttp2Session, string>();
  const streamTimeoutMs = options.streamTimeoutMs ?? 10_000;
  const retries = options.retries ?? 3;
  const opened = new Set<http2.ClientHttp2Session>();
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let stopped = false;

  const fail = (why: string) => {
    counts.failed += 1;
    if (counts.failures.length < 20) counts.failures.push(why);
  };

  const openSession = (): http2.ClientHttp2Session => {
    const origin = options.origin();
    const session = http2.connect(origin, options.ca === undefined ? {} : { ca: options.ca });
    origins.set(session, origin);
    counts.sessions += 1;
    opened.add(session);
    session.on('goaway', (code: number, lastStreamId: number) => counts.goaways.push([code, lastStreamId]));
    session.on('error', () => {}); // Each stream reports its own failure too.
    session.once('close', () => opened.delete(session));
    return session;
  };
  const usable = (session: http2.ClientHttp2Session | undefined) =>
    session !== undefined && !session.closed && !session.destroyed;

  /** One stream; resolves 'ok', 'refused' (retry it) or a failure text. */
  const once = (session: http2.ClientHttp2Session, path: string) =>
    new Promise<string>((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':path': path });
      } catch (error) {
        // The session received GOAWAY in the meantime: nothing was sent.
        resolve(`not sent: ${(error as NodeJS.ErrnoException).code}`);
        return;
      }
      let status = 0;
      let connectionHeader = false;
      stream.setTimeout(streamTimeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        connectionHeader = headers.connection !== undefined;
      });
      let error = '';
      stream.on('error', (cause: NodeJS.ErrnoException) => {
        error = ` (${cause.code ?? cause.message})`;
      });
      stream.resume();
      stream.once('close', () => {
        if (stream.rstCode === NGHTTP2_REFUSED_STREAM && status === 0) {
          counts.refused.push([origins.get(session) ?? '', stream.id ?? 0]);
          resolve('refused');
        } else if (connectionHeader) resolve(`${path}: Connection header on an h2 response`);
        else if (status === 200 && stream.rstCode === 0) resolve('ok');
        else resolve(`${path}: status ${status}, rstCode ${stream.rstCode}${error}`);
      });
    });

  const run = async (lane: { session?: http2.ClientHttp2Session }, path: string) => {
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      if (!usable(lane.session)) lane.session = openSession();
      const outcome = await once(lane.session as http2.ClientHttp2Session, path);
      if (outcome === 'ok') {
        counts.ok += 1;
        return;
      }
      if (outcome === 'refused') {
        counts.retried += 1;
        // A fresh session for the retry: the refusing one is going away.
        lane.session = openSession();
      } else if (!outcome.startsWith('not sent')) {
        fail(outcome);
        return;
      }
    }
    fail(`${path}: still refused after ${retries} retries`);
  };

  const timers = Array.from({ length: options.sessions }, () => {
    const lane: { session?: http2.ClientHttp2Session } = {};
    return setInterval(() => {
      if (stopped) return;
      const task = run(lane, options.path(sent++));
      pending.add(task);
      void task.finally(() => pending.delete(task));
    }, options.intervalMs);
  });

  return {
    counts,
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      while (pending.size > 0) await Promise.all([...pending]);
      for (const session of opened) session.close();
      return counts;
    },
  };
}
