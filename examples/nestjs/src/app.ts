import { LameduckService } from '@lameduck/nestjs';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { AppModule } from './app.module';

export type Platform = 'express' | 'fastify';

/** Reads NEST_PLATFORM (default express). */
export function platformFromEnv(env: NodeJS.ProcessEnv = process.env): Platform {
  const value = env.NEST_PLATFORM || 'express';
  if (value !== 'express' && value !== 'fastify') {
    throw new Error(`NEST_PLATFORM expects 'express' or 'fastify', instead got ${JSON.stringify(value)}`);
  }
  return value;
}

export type WebSockets = 'ws' | 'socket.io';

/** Reads NEST_WEBSOCKETS (default ws: WsAdapter; socket.io: IoAdapter). */
export function webSocketsFromEnv(env: NodeJS.ProcessEnv = process.env): WebSockets {
  const value = env.NEST_WEBSOCKETS || 'ws';
  if (value !== 'ws' && value !== 'socket.io') {
    throw new Error(`NEST_WEBSOCKETS expects 'ws' or 'socket.io', instead got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Builds the application without listening, so tests can import it. */
export async function createApp(
  platform: Platform,
  webSockets: WebSockets = 'ws',
): Promise<INestApplication> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  // Only Nest's errors, which go to stderr (its other levels write to stdout, which carries the
  // listening line). lameduck logs its phases as JSON lines on stderr.
  const app = await NestFactory.create(AppModule, adapter, { logger: ['error', 'fatal'] });
  // lameduck runs app.close() after HTTP has drained, so it needs the application. Do not also
  // call app.enableShutdownHooks(): lameduck owns SIGTERM/SIGINT and would refuse to start.
  app.get(LameduckService).bindApplication(app);
  // A Nest app takes one WebSocket adapter; the gateway registers its server with lameduck.
  app.useWebSocketAdapter(webSockets === 'socket.io' ? new IoAdapter(app) : new WsAdapter(app));
  return app;
}
