import { setTimeout as sleep } from 'node:timers/promises';
import { LameduckService } from '@lameduck/nestjs';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Stands for a database pool. It closes in `onModuleDestroy`, as Nest apps usually do, and
 * throws if it is used after that: without lameduck, Nest would run this hook while requests
 * are still in flight and they would fail. With lameduck, HTTP has drained by then.
 */
@Injectable()
export class DatabasePool implements OnModuleDestroy {
  private open = true;

  constructor(@Inject(LameduckService) lameduck: LameduckService) {
    // Readiness also reflects the database: a pod whose pool is gone gets no new traffic.
    lameduck.lameduck.addReadinessCheck('database', () => this.open);
  }

  async query<T>(run: () => T): Promise<T> {
    if (!this.open) throw new Error('database pool used after it was closed (onModuleDestroy)');
    return run();
  }

  async onModuleDestroy(): Promise<void> {
    // Closing real connections takes a moment.
    await sleep(100);
    this.open = false;
  }
}
