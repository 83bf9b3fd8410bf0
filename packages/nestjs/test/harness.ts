import { setTimeout as sleep } from 'node:timers/promises';
import { type ContractHarness, echoMessages } from '@lameduck/contract';
import { Controller, Get, type MessageEvent, Module, Query, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { interval, map, type Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { LameduckModule, LameduckService } from '../src/index.js';
import { type Platform, urlOf } from './utils/platforms.js';

@Controller()
class ContractController {
  @Get()
  root(): string {
    return 'ok';
  }

  @Get('slow')
  async slow(@Query('ms') ms = '0'): Promise<string> {
    await sleep(Number(ms));
    return 'slow';
  }

  @Sse('events')
  events(): Observable<MessageEvent> {
    return interval(200).pipe(map((n) => ({ data: String(n) })));
  }
}

/** `/ws` on WsAdapter: registered from afterInit, as the README says; echoes every message. */
@WebSocketGateway({ path: '/ws' })
class EchoGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(private readonly lameduck: LameduckService) {}

  afterInit(server: unknown): void {
    this.lameduck.trackWebSockets(server);
  }

  handleConnection(client: WebSocket): void {
    echoMessages(client);
  }
}

/** The contract's app on one Nest platform: LameduckModule.forRoot() + bindApplication(). */
export function nestHarness(platform: Platform): ContractHarness {
  return {
    name: `nestjs 12 on platform-${platform.name}`,
    async start(options, probes) {
      @Module({
        imports: [LameduckModule.forRoot({ ...options, ...probes })],
        controllers: [ContractController],
        providers: [EchoGateway],
      })
      class ContractModule {}
      const app = await NestFactory.create(ContractModule, platform.createAdapter(), {
        logger: false,
        abortOnError: false,
      });
      app.useWebSocketAdapter(new WsAdapter(app));
      const { lameduck } = app.get(LameduckService).bindApplication(app);
      await app.listen(0, '127.0.0.1');
      return {
        url: await urlOf(app),
        lameduck,
        async close() {
          try {
            // Not shut down by the test: app.close() drains, then Nest tears down.
            if (lameduck.state === 'starting' || lameduck.state === 'serving') await app.close();
            // Shut down by the test: the sequence ends once Nest's teardown has run.
            else await lameduck.shutdown();
          } catch {
            // idempotent and never throws, as the contract asks
          }
        },
      };
    },
  };
}
