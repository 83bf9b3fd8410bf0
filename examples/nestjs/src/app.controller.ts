import { setTimeout as sleep } from 'node:timers/promises';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  type MessageEvent,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { interval, map, type Observable } from 'rxjs';
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

  /** SSE, one event every 200 ms: lameduck ends it with a retry: hint when the listener closes. */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return interval(200).pipe(map((n) => ({ data: { n: n + 1, pid: process.pid } })));
  }
}
