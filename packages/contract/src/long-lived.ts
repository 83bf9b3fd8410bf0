import * as http from 'node:http';
import { WebSocket } from 'ws';

/** One WebSocket client: what it got back, and how and when it closed. */
export interface WebSocketClient {
  readonly ws: WebSocket;
  /** Sends `text`, resolves with the next text message. */
  echo(text: string): Promise<string>;
  /** The close code (1006 when the connection just dropped) and when it came. */
  readonly closed: Promise<{ code: number; at: number }>;
}

/** Opens a WebSocket to `url` + `path` (http: becomes ws:); rejects when the upgrade fails. */
export function openWebSocket(url: string, path = '/ws'): Promise<WebSocketClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`);
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    ws.once('close', (code) => resolve({ code, at: Date.now() })),
  );
  const echo = (text: string) =>
    new Promise<string>((resolve) => {
      ws.once('message', (data: Buffer) => resolve(data.toString()));
      ws.send(text);
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, echo, closed }));
    ws.once('error', reject);
  });
}

/** One SSE stream read raw over node:http, the way an EventSource asks for it. */
export interface EventStreamClient {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The body received so far. */
  text(): string;
  /** `end` for a clean end of the body, else what went wrong; and when. */
  readonly ended: Promise<{ how: string; at: number }>;
  close(): void;
}

export function openEventStream(url: string, path = '/events'): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}${path}`,
      { headers: { accept: 'text/event-stream' }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        const ended = new Promise<{ how: string; at: number }>((done) => {
          res.once('end', () => done({ how: 'end', at: Date.now() }));
          res.once('error', (error) => done({ how: `error: ${error.message}`, at: Date.now() }));
          res.once('aborted', () => done({ how: 'aborted', at: Date.now() }));
        });
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          text: () => body,
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.once('error', reject);
  });
}

/**
 * Checks an SSE body that lameduck ended: whole `data:` events, then one `retry: N` hint
 * (N within the close window), nothing cut in the middle. Returns the events and N.
 */
export function parseEndedStream(body: string): { events: string[]; retry: number | undefined } {
  const parts = body.split('\n\n');
  const rest = parts.pop();
  if (rest !== '') throw new Error(`the stream ended inside an event: ${JSON.stringify(rest)}`);
  // Extra blank lines between events (Nest starts its streams with one) dispatch nothing.
  const blocks = parts.map((part) => part.replace(/^\n+/, '')).filter((part) => part !== '');
  const last = blocks.at(-1) ?? '';
  const retry = /^retry: (\d+)$/.exec(last)?.[1];
  const events = retry === undefined ? blocks : blocks.slice(0, -1);
  return { events, retry: retry === undefined ? undefined : Number(retry) };
}

/**
 * Test apps' SSE route body on a node response: headers, then one whole `data:` event per
 * `write()` every `everyMs`, until the response closes.
 */
export function serveEvents(res: http.ServerResponse, everyMs = 200): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': stream open\n\n');
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    res.write(`data: ${n}\n\n`);
  }, everyMs);
  res.once('close', () => clearInterval(timer));
}

/** Test apps' echo: every text message goes back to its sender. */
export function echoMessages(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}
