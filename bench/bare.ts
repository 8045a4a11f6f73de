import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { answerProfileRequests } from './profiler-ipc';

/** The same empty endpoint as the gateway's baseline, in a bare NestJS 12 + express app. */
@Controller('bench')
class BareController {
  @Get('empty')
  empty() {
    return { ok: true };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

/**
 * The pipeline baseline of `npm run bench` (issue 11): NestJS + express with nothing of ours (no
 * guards, pipes, logger, metrics), started by bench/run.ts with the gateway's Node flags in its
 * own process, so the gateway's request pipeline is measured as a ratio to it in the same run.
 * Answers CPU-profile requests like the gateway (bench/profiler-ipc.ts).
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  answerProfileRequests();
  process.send?.('ready');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
