import 'reflect-metadata';
import { createApp } from '../src/bootstrap';
import { BaselineModule } from './baseline.module';
import { answerProfileRequests } from './profiler-ipc';

/**
 * The gateway exactly as src/bootstrap.ts builds it, plus the bench-only baseline routes; CPU
 * profiles on request from bench/run.ts (bench/profiler-ipc.ts).
 */
async function main(): Promise<void> {
  const app = await createApp(undefined, [BaselineModule]);
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  answerProfileRequests();
  process.send?.('ready');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
