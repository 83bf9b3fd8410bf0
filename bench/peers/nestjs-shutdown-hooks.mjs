// NestJS with enableShutdownHooks(), as Nest's lifecycle docs recommend: Nest listens for SIGTERM,
// runs its shutdown hooks, closes the HTTP server (Express platform) and re-raises the signal.
// Plain JavaScript: the decorators are applied by hand.
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class AppController {
  readyz() {
    return { ready: true };
  }
  root() {
    return { hello: 'world' };
  }
  echo(body) {
    return body;
  }
  async slow(raw) {
    const ms = Math.min(Number(raw ?? 100) || 0, 60_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { waitedMs: ms };
  }
}
const method = (name) => Object.getOwnPropertyDescriptor(AppController.prototype, name);
Reflect.decorate([Get('readyz')], AppController.prototype, 'readyz', method('readyz'));
Reflect.decorate([Get()], AppController.prototype, 'root', method('root'));
Reflect.decorate([Post(), HttpCode(200)], AppController.prototype, 'echo', method('echo'));
Body()(AppController.prototype, 'echo', 0);
Reflect.decorate([Get('slow')], AppController.prototype, 'slow', method('slow'));
Query('ms')(AppController.prototype, 'slow', 0);
Reflect.decorate([Controller()], AppController);

class AppModule {}
Reflect.decorate([Module({ controllers: [AppController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
app.enableShutdownHooks();
const server = app.getHttpServer();
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0');
