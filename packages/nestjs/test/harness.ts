import { setTimeout as sleep } from 'node:timers/promises';
import type { ContractHarness } from '@lameduck/contract';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
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
}

/** The contract's app on one Nest platform: LameduckModule.forRoot() + bindApplication(). */
export function nestHarness(platform: Platform): ContractHarness {
  return {
    name: `nestjs 12 on platform-${platform.name}`,
    async start(options, probes) {
      @Module({
        imports: [LameduckModule.forRoot({ ...options, ...probes })],
        controllers: [ContractController],
      })
      class ContractModule {}
      const app = await NestFactory.create(ContractModule, platform.createAdapter(), {
        logger: false,
        abortOnError: false,
      });
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
