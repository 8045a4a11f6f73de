import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ValidationPipe } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../src/app.module';
import { ProblemDetailsFilter } from '../src/common/errors/problem-details.filter';
import { validationExceptionFactory } from '../src/common/errors/validation-exception.factory';
import { BaselineModule } from './baseline.module';

/** The gateway as production builds it (see src/bootstrap.ts) plus the bench-only baseline routes. */
@Module({ imports: [AppModule.forRoot(), BaselineModule] })
class BenchAppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BenchAppModule, {
    bufferLogs: true,
    abortOnError: false,
    rawBody: true,
  });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: '1mb' });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationExceptionFactory,
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.send?.('ready');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
