import { Logger, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LameduckModule, LameduckService } from '../src/index.js';

/** A Nest logger that keeps every line with its level and context. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: unknown) {
    this.lines.push(`log [${String(context)}] ${String(message)}`);
  }
  warn(message: unknown, context?: unknown) {
    this.lines.push(`warn [${String(context)}] ${String(message)}`);
  }
  error(message: unknown, context?: unknown) {
    this.lines.push(`error [${String(context)}] ${String(message)}`);
  }
  debug(message: unknown, context?: unknown) {
    this.lines.push(`debug [${String(context)}] ${String(message)}`);
  }
}

describe("lameduck logs through Nest's Logger", () => {
  afterEach(() => {
    // The other specs run with Nest's logger off.
    Logger.overrideLogger(false);
  });

  it('at the same levels, with the context lameduck, summary included', async () => {
    const capture = new CapturingLogger();
    @Module({ imports: [LameduckModule.forRoot({ signals: false, exit: vi.fn(), drainDelayMs: 0 })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), {
      logger: capture,
      abortOnError: false,
    });
    app.get(LameduckService).bindApplication(app);
    await app.listen(0, '127.0.0.1');
    const result = await app.get(LameduckService).lameduck.shutdown('test');
    expect(result.exitCode).toBe(0);
    const ours = capture.lines.filter((line) => line.includes('[lameduck]'));
    expect(ours).toContain('log [lameduck] lameduck: draining (test)');
    expect(ours.some((line) => line.startsWith('log [lameduck] lameduck: stopped (test)'))).toBe(true);
    await app.close();
  });
});
