import 'reflect-metadata';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { createApp } from '../src/bootstrap';
import { BaselineModule } from './baseline.module';

/**
 * The gateway exactly as src/bootstrap.ts builds it, plus the bench-only baseline routes.
 * IPC from bench/run.ts: `{ profile: 'start' }` starts the V8 CPU profiler (inspector, in process),
 * `{ profile: 'stop', file }` writes the `.cpuprofile` (Chrome DevTools format) and answers
 * `{ profiled: file }` — so a profile covers one scenario only, not boot and the other runs.
 */
async function main(): Promise<void> {
  const app = await createApp(undefined, [BaselineModule]);
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  let session: Session | null = null;
  process.on('message', (msg: { profile?: 'start' | 'stop'; file?: string }) => {
    void (async () => {
      if (msg.profile === 'start') {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
      } else if (msg.profile === 'stop' && session && msg.file) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(msg.file, JSON.stringify(profile));
        session.disconnect();
        session = null;
        process.send?.({ profiled: msg.file });
      }
    })();
  });
  process.send?.('ready');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
