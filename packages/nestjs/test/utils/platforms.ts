import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** Every spec runs on both platforms. */
export interface Platform {
  readonly name: 'express' | 'fastify';
  createAdapter(): AbstractHttpAdapter;
}

export const platforms: readonly Platform[] = [
  { name: 'express', createAdapter: () => new ExpressAdapter() },
  { name: 'fastify', createAdapter: () => new FastifyAdapter() },
];

/** The base URL of an app listening on 127.0.0.1. */
export async function urlOf(app: INestApplication): Promise<string> {
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string')
    throw new Error(`unexpected address ${String(address)}`);
  return `http://127.0.0.1:${address.port}`;
}
