import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';

/** Worker process: queue processors, long-lived provider connections (ConnectionRuntime) and the delivery sweeper; no HTTP listener. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot('worker'), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.enableShutdownHooks();
  logger.log('Worker started', 'Worker');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
