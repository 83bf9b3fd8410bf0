import { openEventStream, openWebSocket, tryConnect } from '@lameduck/contract';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeApp, startApp } from './harness.js';

const apps: Array<Parameters<typeof closeApp>[0]> = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await closeApp(app);
});

describe('@fastify/websocket and SSE through app.close()', () => {
  it('app.close() drains first: WebSockets get 1001 from lameduck (not the plugin preClose close) and streams end with retry:', async () => {
    const exit = vi.fn();
    const { app, url } = await startApp(
      {
        drainDelayMs: 400,
        drainTimeoutMs: 4000,
        closeWindowMs: 200,
        signals: false,
        exit,
        env: {},
        summary: false,
      },
      {},
      () => {},
      true,
    );
    apps.push(app);
    const ws = await openWebSocket(url);
    const stream = await openEventStream(url);
    const stopped = new Promise((resolve) => app.lameduck.once('stopped', resolve));
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Fastify does not know yet that it is closing: new upgrades are still served.
    expect(app.lameduck.state).toBe('draining');
    expect(await tryConnect(url)).toBe('connected');
    const late = await openWebSocket(url);
    expect(await late.echo('late')).toBe('late');
    expect((await ws.closed).code).toBe(1001);
    expect((await late.closed).code).toBe(1001);
    expect((await stream.ended).how).toBe('end');
    expect(stream.text()).toMatch(/retry: \d+\n\n$/);
    await closed;
    expect(await stopped).toMatchObject({
      exitCode: 0,
      webSocketsClosed: 2,
      streamsEnded: 1,
      socketsDestroyed: 0,
    });
    expect(exit).not.toHaveBeenCalled();
  });
});
