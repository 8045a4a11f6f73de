import { Queue, Worker } from 'bullmq';
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';

/**
 * The bare BullMQ ceiling on this machine: add + process + HMAC-sign a 1 KB body + POST it to the
 * local receiver, with no database and no gateway code — what a delivery costs at the least.
 * @returns jobs per second over `jobs` jobs at `concurrency`.
 */
export async function bullmqCeiling(opts: {
  redisUrl: string;
  prefix: string;
  receiverUrl: string;
  jobs: number;
  concurrency: number;
}): Promise<number> {
  const connection = { url: opts.redisUrl, maxRetriesPerRequest: null };
  const queue = new Queue('ceiling', { connection, prefix: opts.prefix });
  const agent = new Agent({ connections: 64 });
  const secret = randomBytes(32);
  const body = JSON.stringify({ event: 'message_received', data: { text: 'x'.repeat(900) } });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker(
    'ceiling',
    async (job) => {
      const sig = createHmac('sha256', secret).update(`${job.id}.${Date.now()}.${body}`).digest('base64');
      const res = await request(opts.receiverUrl, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': String(job.id),
          'webhook-signature': `v1,${sig}`,
        },
        dispatcher: agent,
      });
      await res.body.dump();
      if (++done === opts.jobs) finish();
    },
    { connection, prefix: opts.prefix, concurrency: opts.concurrency, removeOnComplete: { count: 100 } },
  );
  await worker.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < opts.jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, opts.jobs - i) }, (_, k) => ({
        name: 'deliver',
        data: { n: i + k },
      })),
    );
  }
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await agent.close();
  return opts.jobs / seconds;
}
