import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, createLameduck, ErrorCodes, type State } from '../src/index.js';
import { closeServer, codeOf, createTestLameduck, delay, gate, listen, originOf } from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface FakeTimer {
  readonly fn: () => void;
  readonly ms: number;
  unrefd: boolean;
  cleared: boolean;
  unref(): FakeTimer;
}

/** A clock whose timers only fire when the test fires them. */
class FakeClock implements Clock {
  readonly timers: FakeTimer[] = [];
  time = 1_000_000;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): FakeTimer {
    const timer: FakeTimer = {
      fn,
      ms,
      unrefd: false,
      cleared: false,
      unref() {
        timer.unrefd = true;
        return timer;
      },
    };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    (handle as FakeTimer).cleared = true;
  }
}

const SERVER_EVENTS = ['request', 'connection', 'secureConnection', 'listening'] as const;
const listenerCounts = (server: EventEmitter) => SERVER_EVENTS.map((event) => server.listenerCount(event));

describe('state machine and events', () => {
  it('emits one event per phase, in order, and a state event for each change', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 20 });
    const events: string[] = [];
    lameduck.on('state', (next: State, previous: State) => events.push(`state ${previous}->${next}`));
    for (const phase of ['serving', 'closing', 'cleanup'] as const)
      lameduck.on(phase, () => events.push(phase));
    lameduck.on('draining', (reason) => events.push(`draining (${reason})`));
    lameduck.on('stopped', (result) => events.push(`stopped exit ${result.exitCode}`));
    expect(lameduck.state).toBe('starting');
    lameduck.ready();
    lameduck.ready();
    await lameduck.shutdown('deploy');
    expect(events).toEqual([
      'state starting->serving',
      'serving',
      'state serving->draining',
      'draining (deploy)',
      'state draining->closing',
      'closing',
      'state closing->cleanup',
      'cleanup',
      'state cleanup->stopped',
      'stopped exit 0',
    ]);
  });

  it('attach() marks the instance ready once the server listens; readyOnListening: false waits for ready()', async () => {
    const { lameduck } = createTestLameduck();
    const server = http.createServer((_req, res) => res.end());
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);
    expect(lameduck.state).toBe('starting');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(lameduck.state).toBe('serving');

    const gated = createTestLameduck({ readyOnListening: false }).lameduck;
    gated.attach(server);
    expect(gated.state).toBe('starting');
    expect((await gated.readiness()).statusCode).toBe(503);
    gated.ready();
    expect(gated.state).toBe('serving');
    gated.dispose();
  });

  it('exitOnStopped: false resolves the result without calling exit', async () => {
    const { lameduck, exits } = createTestLameduck({ exitOnStopped: false });
    const result = await lameduck.shutdown();
    expect(result.exitCode).toBe(0);
    expect(result.reason).toBe('shutdown() called');
    expect(exits).toEqual([]);
    expect(lameduck.state).toBe('stopped');
  });
});

describe('shutdown is idempotent', () => {
  it('calls, signals and the preStop endpoint share one promise and exit once', async () => {
    const { lameduck, signals, exits } = createTestLameduck({ drainDelayMs: 300, preStopToken: 't0ken' });
    const server = await listen((req, res) => {
      if (req.url === '/prestop') lameduck.preStopHandler(req, res);
      else res.end('app');
    });
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);
    const first = lameduck.shutdown('first');
    const second = lameduck.shutdown('second');
    expect(second).toBe(first);
    signals.emit('SIGTERM');
    expect(lameduck.shutdown()).toBe(first);
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const startedAt = Date.now();
    const preStop = await client.request({
      path: '/prestop',
      method: 'GET',
      headers: { authorization: 'Bearer t0ken' },
    });
    await preStop.body.text();
    expect(preStop.statusCode).toBe(200);
    // The preStop answer waits for the drain delay, so the kubelet's SIGTERM comes after it.
    expect(lameduck.state).not.toBe('draining');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    const result = await first;
    expect(result.reason).toBe('first');
    await delay(20);
    expect(exits).toEqual([0]);
  });

  it('the preStop endpoint alone starts the sequence and answers after the drain delay', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 300,
      exitOnStopped: false,
      preStopToken: 't0ken',
    });
    const server = await listen((req, res) => lameduck.preStopHandler(req, res));
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);
    const stopped = new Promise<string>((resolve) =>
      lameduck.once('stopped', (result) => resolve(result.reason)),
    );
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const startedAt = Date.now();
    const response = await client.request({
      path: '/prestop',
      method: 'GET',
      headers: { authorization: 'Bearer t0ken' },
    });
    expect(response.headers.connection).toBe('close');
    await response.body.text();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(await stopped).toBe('preStop');
  });
});

describe('signals', () => {
  it('listens for SIGTERM and SIGINT by default; a signal starts the shutdown', async () => {
    const { lameduck, signals, exits } = createTestLameduck();
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(signals.listenerCount('SIGINT')).toBe(1);
    const draining = new Promise<string>((resolve) => lameduck.once('draining', resolve));
    signals.emit('SIGINT', 'SIGINT');
    expect(await draining).toBe('SIGINT');
    await new Promise((resolve) => lameduck.once('stopped', resolve));
    expect(exits).toEqual([0]);
  });

  it('uses the configured signals only, and none with signals: false', () => {
    const custom = createTestLameduck({ signals: ['SIGUSR2'] });
    expect(custom.signals.listenerCount('SIGUSR2')).toBe(1);
    expect(custom.signals.listenerCount('SIGTERM')).toBe(0);
    custom.signals.emit('SIGTERM');
    expect(custom.lameduck.state).toBe('starting');
    custom.signals.emit('SIGUSR2');
    expect(custom.lameduck.state).toBe('draining');
    const none = createTestLameduck({ signals: false });
    expect(none.signals.eventNames()).toEqual([]);
    custom.lameduck.dispose();
  });

  it('a second signal exits at once with forceExitCode (default 130), and only once', async () => {
    const { lameduck, signals, exits } = createTestLameduck({ drainDelayMs: 300, preStopToken: 't0ken' });
    signals.emit('SIGTERM');
    expect(lameduck.state).toBe('draining');
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    signals.emit('SIGTERM');
    await lameduck.shutdown();
    expect(exits).toEqual([130]);
  });

  it('forceExitCode is configurable', () => {
    const { signals, exits } = createTestLameduck({ drainDelayMs: 300, forceExitCode: 2 });
    signals.emit('SIGTERM');
    signals.emit('SIGTERM');
    expect(exits).toEqual([2]);
  });

  it('a signal during a programmatic shutdown joins it; only the next one forces the exit', async () => {
    const { lameduck, signals, exits } = createTestLameduck({ drainDelayMs: 200 });
    const result = lameduck.shutdown('call');
    signals.emit('SIGTERM');
    expect(exits).toEqual([]);
    signals.emit('SIGTERM');
    expect(exits).toEqual([130]);
    await result;
  });
});

describe('dispose', () => {
  it('removes every listener it installed on the signal source and the servers', async () => {
    const signals = new EventEmitter();
    const server = await listen((_req, res) => res.end());
    cleanups.push(() => closeServer(server));
    const waiting = http.createServer();
    const before = [listenerCounts(server), listenerCounts(waiting)];
    const lameduck = createLameduck({ env: {}, signalSource: signals, exit: () => {} });
    lameduck.attach(server);
    lameduck.attach(waiting);
    expect(lameduck.attach(server)).toBe(lameduck.attach(server));
    expect(signals.eventNames().sort()).toEqual(['SIGINT', 'SIGTERM']);
    expect(listenerCounts(server)).not.toEqual(before[0]);
    expect(waiting.listenerCount('listening')).toBe((before[1]?.[3] ?? 0) + 1);
    lameduck.dispose();
    lameduck.dispose();
    expect(signals.eventNames()).toEqual([]);
    expect([listenerCounts(server), listenerCounts(waiting)]).toEqual(before);
    expect(codeOf(() => lameduck.attach(server))).toBe(ErrorCodes.DISPOSED);
    expect(codeOf(() => lameduck.shutdown())).toBe(ErrorCodes.DISPOSED);
    expect(codeOf(() => lameduck.onShutdown('db', () => {}))).toBe(ErrorCodes.DISPOSED);
  });

  it('the detach function from attach() removes that server only', async () => {
    const { lameduck } = createTestLameduck();
    const a = await listen((_req, res) => res.end());
    const b = await listen((_req, res) => res.end());
    cleanups.push(
      () => closeServer(a),
      () => closeServer(b),
    );
    const before = listenerCounts(a);
    const detach = lameduck.attach(a);
    lameduck.attach(b);
    detach();
    expect(listenerCounts(a)).toEqual(before);
    // b keeps one request listener: the app's, wrapped by lameduck.
    expect(b.listenerCount('request')).toBe(1);
    expect(b.rawListeners('request')).not.toEqual(b.listeners('request'));
    lameduck.dispose();
  });

  it('a shutdown still running when dispose() is called resolves but never exits the process', async () => {
    const { lameduck, exits } = createTestLameduck({ drainDelayMs: 100 });
    const result = lameduck.shutdown('test');
    lameduck.dispose();
    expect((await result).exitCode).toBe(0);
    expect(exits).toEqual([]);
  });

  it('clears the deadline timer of a running shutdown', async () => {
    const clock = new FakeClock();
    const { lameduck } = createTestLameduck({ clock, drainDelayMs: 1000 });
    void lameduck.shutdown();
    const deadline = clock.timers[0];
    expect(deadline?.cleared).toBe(false);
    lameduck.dispose();
    expect(deadline?.cleared).toBe(true);
  });
});

describe('the overall deadline', () => {
  it('is created, unref()d, before any user code runs, and forces exit(1) when it fires', async () => {
    const clock = new FakeClock();
    const { lameduck, exits } = createTestLameduck({ clock, drainDelayMs: 1000, gracePeriodSeconds: 20 });
    let timersWhenUserCodeRan = -1;
    lameduck.on('draining', () => {
      timersWhenUserCodeRan = clock.timers.length;
    });
    const result = lameduck.shutdown('test');
    expect(timersWhenUserCodeRan).toBe(1);
    const deadline = clock.timers[0]!;
    expect(deadline.ms).toBe(20_000 - 2000 / 2);
    expect(deadline.unrefd).toBe(true);
    // Simulate a sequence stuck in the drain delay past the deadline.
    deadline.fn();
    expect(exits).toEqual([1]);
    // When the sequence finishes later it neither exits again nor reports itself clean.
    for (const timer of clock.timers.slice(1)) timer.fn();
    const summary = await result;
    expect(summary.deadlineExceeded).toBe(true);
    expect(summary.exitCode).toBe(1);
    expect(exits).toEqual([1]);
  });
});

describe('attach() checks its argument', () => {
  it.each([
    ['undefined', undefined],
    ['a plain object', { on() {} }],
    ['a plain net.Server', net.createServer()],
  ])('rejects %s with INVALID_SERVER', (_name, value) => {
    const { lameduck } = createTestLameduck();
    expect(codeOf(() => lameduck.attach(value as unknown as http.Server))).toBe(ErrorCodes.INVALID_SERVER);
  });

  it.each([
    ['an h2c server', () => http2.createServer()],
    ['an h2 server', () => http2.createSecureServer({})],
    ['an h2 server with allowHTTP1', () => http2.createSecureServer({ allowHTTP1: true })],
  ])('accepts %s and removes its session listener on detach', (_name, create) => {
    const server = create();
    const before = server.listenerCount('session');
    const { lameduck } = createTestLameduck();
    const detach = lameduck.attach(server);
    expect(server.listenerCount('session')).toBe(before + 1);
    detach();
    expect(server.listenerCount('session')).toBe(before);
  });
});

describe('event listeners cannot break the sequence', () => {
  it('a listener that throws is logged; the sequence still ends with exit', async () => {
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_obj: object, msg?: string) => errors.push(msg ?? ''),
    };
    const { lameduck, exits } = createTestLameduck({ logger });
    lameduck.on('draining', () => {
      throw new Error('listener bug');
    });
    let onceCalls = 0;
    lameduck.once('state', () => {
      onceCalls += 1;
    });
    const result = await lameduck.shutdown('test');
    expect(result.exitCode).toBe(0);
    expect(exits).toEqual([0]);
    expect(onceCalls).toBe(1);
    expect(errors.some((msg) => msg.includes("'draining'"))).toBe(true);
  });
});

describe('nothing global is monkey-patched', () => {
  /** Every own property of node's shared prototypes and of `process`, with its value or accessors. */
  function globalShape(): Map<string, unknown> {
    const shape = new Map<string, unknown>();
    const targets: Record<string, object> = {
      'http.Server.prototype': http.Server.prototype,
      'http.ServerResponse.prototype': http.ServerResponse.prototype,
      'http.OutgoingMessage.prototype': http.OutgoingMessage.prototype,
      'http.IncomingMessage.prototype': http.IncomingMessage.prototype,
      'net.Server.prototype': net.Server.prototype,
      'net.Socket.prototype': net.Socket.prototype,
      'EventEmitter.prototype': EventEmitter.prototype,
    };
    for (const [name, target] of Object.entries(targets)) {
      for (const key of Reflect.ownKeys(target)) {
        const descriptor = Object.getOwnPropertyDescriptor(target, key);
        shape.set(`${name}.${String(key)}`, descriptor?.value ?? [descriptor?.get, descriptor?.set]);
      }
    }
    for (const event of process.eventNames()) {
      shape.set(`process.on(${String(event)})`, process.listeners(event as NodeJS.Signals).length);
    }
    return shape;
  }

  it('a whole drain leaves node prototypes and process listeners as they were', async () => {
    const before = globalShape();
    const release = gate();
    const s = await listen(async (_req, res) => {
      await release.promise;
      res.end('ok');
    });
    cleanups.push(() => closeServer(s));
    const { lameduck } = createTestLameduck({ drainDelayMs: 50, drainTimeoutMs: 2000 });
    lameduck.attach(s);
    const c = new Client(originOf(s));
    cleanups.push(() => c.destroy().catch(() => {}));
    const pending = c.request({ path: '/', method: 'GET' });
    await delay(50);
    const result = lameduck.shutdown('test');
    release.open();
    const response = await pending;
    expect(response.headers.connection).toBe('close');
    await response.body.text();
    expect((await result).exitCode).toBe(0);
    expect(globalShape()).toEqual(before);
  });
});
