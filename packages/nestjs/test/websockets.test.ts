import { tryConnect } from '@lameduck/contract';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { type OnGatewayInit, SubscribeMessage, WebSocketGateway, type WsResponse } from '@nestjs/websockets';
import { type Socket, io as socketIoClient } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LameduckModule, LameduckService } from '../src/index.js';
import { platforms, urlOf } from './utils/platforms.js';

/** A socket.io gateway on IoAdapter, registered from afterInit as the README says. */
@WebSocketGateway()
class EchoIoGateway implements OnGatewayInit {
  constructor(private readonly lameduck: LameduckService) {}

  afterInit(server: unknown): void {
    this.lameduck.trackWebSockets(server);
  }

  @SubscribeMessage('echo')
  echo(_client: unknown, text: string): WsResponse<string> {
    return { event: 'echo', data: text };
  }
}

const clients: Socket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function connect(url: string): Promise<Socket> {
  const client = socketIoClient(url, {
    transports: ['websocket'],
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', reject);
  });
}

function echo(client: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    client.once('echo', resolve);
    client.emit('echo', text);
  });
}

describe.each(platforms)('socket.io gateways (IoAdapter) on $name', (platform) => {
  async function start() {
    @Module({
      imports: [
        LameduckModule.forRoot({
          drainDelayMs: 400,
          drainTimeoutMs: 4000,
          closeWindowMs: 200,
          signals: false,
          exit: vi.fn(),
          env: {},
          summary: false,
        }),
      ],
      providers: [EchoIoGateway],
    })
    class IoModule {}
    const app = await NestFactory.create(IoModule, platform.createAdapter(), {
      logger: false,
      abortOnError: false,
    });
    app.useWebSocketAdapter(new IoAdapter(app));
    const service = app.get(LameduckService).bindApplication(app);
    await app.listen(0, '127.0.0.1');
    return { app, url: await urlOf(app), lameduck: service.lameduck };
  }

  it.each(['lameduck.shutdown()', 'app.close()'] as const)(
    'started by %s: the HTTP server keeps accepting through the drain delay, then each client sees a transport close and reconnects',
    async (starter) => {
      const { app, url, lameduck } = await start();
      const client = await connect(url);
      expect(await echo(client, 'hi')).toBe('hi');
      const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
      const reconnecting = new Promise((resolve) => client.io.once('reconnect_attempt', resolve));
      const result = new Promise((resolve) => lameduck.once('stopped', resolve));
      const closed = starter === 'app.close()' ? app.close() : lameduck.shutdown('test');
      // Nest's teardown (io.close() closes the HTTP server) waits for lameduck's drain.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(lameduck.state).toBe('draining');
      expect(await tryConnect(url)).toBe('connected');
      const late = await connect(url);
      expect(await echo(late, 'late')).toBe('late');
      expect(await disconnected).toBe('transport close');
      await reconnecting; // "io server disconnect" would have stopped it
      await closed;
      expect(await result).toMatchObject({
        exitCode: 0,
        webSocketsClosed: 2,
        webSocketsTerminated: 0,
        socketsDestroyed: 0,
      });
    },
  );
});
