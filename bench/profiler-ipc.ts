import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * IPC from bench/run.ts to a forked bench process (the gateway, the bare baseline):
 * `{ profile: 'start' }` starts the V8 CPU profiler (inspector, in process, 200 µs sampling),
 * `{ profile: 'stop', file }` writes the `.cpuprofile` (Chrome DevTools format) and answers
 * `{ profiled: file }` — so a profile covers one scenario only, not boot and the other runs.
 * With BENCH_HEAP_PROFILE=1 the allocations are sampled too (`<file>.heapprofile`, every 32 KiB).
 */
export function answerProfileRequests(): void {
  let session: Session | null = null;
  process.on('message', (msg: { profile?: 'start' | 'stop'; file?: string }) => {
    void (async () => {
      if (msg.profile === 'start') {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
        if (process.env.BENCH_HEAP_PROFILE)
          await session.post('HeapProfiler.startSampling', {
            samplingInterval: 32_768,
            includeObjectsCollectedByMinorGC: true,
            includeObjectsCollectedByMajorGC: true,
          });
      } else if (msg.profile === 'stop' && session && msg.file) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(msg.file, JSON.stringify(profile));
        if (process.env.BENCH_HEAP_PROFILE) {
          const heap = await session.post('HeapProfiler.stopSampling');
          writeFileSync(msg.file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap.profile));
        }
        session.disconnect();
        session = null;
        process.send?.({ profiled: msg.file });
      }
    })();
  });
}
