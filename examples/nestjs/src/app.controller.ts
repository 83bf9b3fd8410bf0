import { setTimeout as sleep } from 'node:timers/promises';
import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { DatabasePool } from './database.pool';

/** `/slow` waits at most this long. Only requests up to LAMEDUCK_DRAIN_TIMEOUT_MS are promised to finish in a drain. */
export const SLOW_MAX_MS = 60_000;

@Controller()
export class AppController {
  constructor(@Inject(DatabasePool) private readonly db: DatabasePool) {}

  /** Answers at once. */
  @Get()
  root(): Promise<{ hello: string; pid: number }> {
    return this.db.query(() => ({ hello: 'world', pid: process.pid }));
  }

  /** Echoes the JSON body it got. */
  @Post()
  @HttpCode(200)
  echo(@Body() body: unknown): unknown {
    return body;
  }

  /** Answers after `ms` milliseconds, then uses the database (as a handler that saves its work). */
  @Get('slow')
  async slow(@Query('ms') raw?: string): Promise<{ waitedMs: number }> {
    const ms = Number(raw ?? 100);
    if (!Number.isInteger(ms) || ms < 0) {
      throw new BadRequestException(`ms must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
    }
    const waitedMs = Math.min(ms, SLOW_MAX_MS);
    await sleep(waitedMs);
    return this.db.query(() => ({ waitedMs }));
  }
}
