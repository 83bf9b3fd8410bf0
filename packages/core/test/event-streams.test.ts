import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  createTestLameduck,
  delay,
  type Handler,
  listen,
  nextState,
  portOf,
} from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: Handler): Promise<http.Server> {
  const s = await listen(handler);
  cleanups.push(() => closeServer(s));
  return s;
}

/** An SSE route as apps write it: one whole event per write(), every `everyMs`. */
function sse(style: 'setHeader' | 'writeHead', everyMs = 20): Handler {
  return (_req, res) => {
    if (style === 'setHeader') {
      res.setHeader('Content-Type', 'text/event-stream');
      res.setHeader('Cache-Control', 'no-cache');
      res.flushHeaders();
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    }
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      res.write(`id: ${n}\ndata: event ${n}\n\n`);
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

interface Stream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Everything received so far. */
  readonly text: () => string;
  /** 'end' (clean end of the body) or 'error' / 'aborted', and when. */
  readonly ended: Promise<{ how: string; at: number }>;
}

/** A raw SSE reader over node:http, as an EventSource sends it (Accept: text/event-stream). */
function openStream(port: number, accept = 'text/event-stream'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/events', headers: { accept }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        const ended = new Promise<{ how: string; at: number }>((done) => {
          res.once('end', () => done({ how: 'end', at: Date.now() }));
          res.once('error', (error) => done({ how: `error ${error.message}`, at: Date.now() }));
          res.once('aborted', () => done({ how: 'aborted', at: Date.now() }));
        });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: () => text, ended });
      },
    );
    cleanups.push(() => req.destroy());
    req.once('error', reject);
  });
}

/** The events of an SSE body: blocks separated by a blank line; the text after the last one. */
function blocks(text: string): { whole: string[]; rest: string } {
  const parts = text.split('\n\n');
  return { whole: parts.slice(0, -1), rest: parts.at(-1) ?? '' };
}

describe('SSE streams drain', () => {
  it.each(['setHeader', 'writeHead'] as const)(
    'a text/event-stream response (%s) keeps flowing during the delay, then gets a jittered retry: at an event boundary and a clean end',
    async (style) => {
      const s = await server(sse(style));
      const { lameduck, exits } = createTestLameduck({
        drainDelayMs: 300,
        drainTimeoutMs: 3000,
        closeWindowMs: 400,
      });
      lameduck.attach(s);
      const streams = await Promise.all(Array.from({ length: 8 }, () => openStream(portOf(s))));
      const closingAt = nextState(lameduck, 'closing').then(() => Date.now());
      const result = lameduck.shutdown('test');
      await delay(150);
      const during = streams.map((stream) => stream.text().length);
      await delay(100);
      // Still flowing in the drain delay.
      for (const [i, stream] of streams.entries())
        expect(stream.text().length).toBeGreaterThan(during[i] ?? 0);
      const ends = await Promise.all(streams.map((stream) => stream.ended));
      const closing = await closingAt;
      expect(ends.map((end) => end.how)).toEqual(Array(8).fill('end'));
      for (const stream of streams) {
        expect(stream.status).toBe(200);
        const { whole, rest } = blocks(stream.text());
        expect(rest).toBe('');
        // Every block before the hint is a whole event; the last one is the hint alone.
        for (const block of whole.slice(0, -1)) expect(block).toMatch(/^id: \d+\ndata: event \d+$/);
        const retry = Number(/^retry: (\d+)$/.exec(whole.at(-1) ?? '')?.[1]);
        expect(retry).toBeGreaterThanOrEqual(0);
        expect(retry).toBeLessThanOrEqual(400);
      }
      const offsets = ends.map((end) => end.at - closing);
      expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(80);
      expect(Math.max(...offsets)).toBeLessThan(400 + 400);
      const summary = await result;
      expect(summary).toMatchObject({ exitCode: 0, streamsEnded: 8, socketsDestroyed: 0 });
      expect(exits).toEqual([0]);
    },
  );

  it('an EventSource request arriving while draining is answered 200 and streams, then ends with the others', async () => {
    const s = await server(sse('writeHead'));
    const { lameduck } = createTestLameduck({ drainDelayMs: 500, drainTimeoutMs: 3000, closeWindowMs: 100 });
    lameduck.attach(s);
    const result = lameduck.shutdown('test');
    await delay(50);
    expect(lameduck.state).toBe('draining');
    const late = await openStream(portOf(s));
    expect(late.status).toBe(200);
    expect(late.headers['content-type']).toBe('text/event-stream');
    await delay(100);
    expect(late.text()).toContain('data: event 1\n\n');
    expect((await late.ended).how).toBe('end');
    expect(late.text()).toMatch(/retry: \d+\n\n$/);
    expect(await result).toMatchObject({ exitCode: 0, streamsEnded: 1 });
  });

  it('trackStream() marks another endless response (a long poll): it is ended with its own end() at closing', async () => {
    const { lameduck } = createTestLameduck({ drainTimeoutMs: 3000, closeWindowMs: 100 });
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      lameduck.trackStream(res, { end: (r) => r.end('{"events":[],"reconnect":true}') });
    });
    lameduck.attach(s);
    const poll = await openStream(portOf(s), 'application/json');
    const summary = await lameduck.shutdown('test');
    expect((await poll.ended).how).toBe('end');
    expect(poll.text()).toBe('{"events":[],"reconnect":true}');
    expect(summary).toMatchObject({ exitCode: 0, streamsEnded: 1, socketsDestroyed: 0 });
  });

  it('an endless response that is neither SSE nor marked is cut at the drain timeout (the control)', async () => {
    const s = await server(sse('writeHead'));
    const { lameduck } = createTestLameduck({ drainTimeoutMs: 500, closeWindowMs: 100 });
    lameduck.attach(s);
    // Without Accept: text/event-stream and with headers sent by writeHead, nothing says SSE.
    const stream = await openStream(portOf(s), '*/*');
    const summary = await lameduck.shutdown('test');
    expect((await stream.ended).how).not.toBe('end');
    expect(summary).toMatchObject({ exitCode: 1, streamsEnded: 0, socketsDestroyed: 1 });
  });
});
