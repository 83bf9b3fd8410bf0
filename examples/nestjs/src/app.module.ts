import { LameduckModule } from '@lameduck/nestjs';
import { Module } from '@nestjs/common';
import { AppController } from './app.controller';
import { DatabasePool } from './database.pool';

@Module({
  // No options: lameduck reads LAMEDUCK_* environment variables (see README.md) and serves
  // /readyz and /livez ahead of Nest's router.
  imports: [LameduckModule.forRoot()],
  controllers: [AppController],
  providers: [DatabasePool],
})
export class AppModule {}
