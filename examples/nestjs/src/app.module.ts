import { LameduckModule } from '@lameduck/nestjs';
import { Module } from '@nestjs/common';
import { AppController } from './app.controller';
import { DatabasePool } from './database.pool';
import { EchoGateway } from './echo.gateway';
import { jsonLinesOnStderr } from './json-logger';

@Module({
  // Settings come from LAMEDUCK_* environment variables (see README.md); lameduck serves /readyz
  // and /livez ahead of Nest's router and logs JSON lines on stderr.
  imports: [LameduckModule.forRoot({ logger: jsonLinesOnStderr })],
  controllers: [AppController],
  providers: [DatabasePool, EchoGateway],
})
export class AppModule {}
