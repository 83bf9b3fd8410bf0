import { LameduckModule } from '@lameduck/nestjs';
import { Module } from '@nestjs/common';
import { AppController } from './app.controller';
import { DatabasePool } from './database.pool';
import { EchoGateway } from './echo.gateway';

@Module({
  // No options: lameduck reads LAMEDUCK_* environment variables (see README.md) and serves
  // /readyz and /livez ahead of Nest's router.
  imports: [LameduckModule.forRoot()],
  controllers: [AppController],
  providers: [DatabasePool, EchoGateway],
})
export class AppModule {}
