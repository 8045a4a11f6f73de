import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobName, QueueName, SendMessageJob } from '../../../common/queues/queues';

/** How long a request waits for Redis to take its send jobs, ms (the sweeper re-enqueues later). */
const ENQUEUE_TIMEOUT_MS = 1000;

/**
 * Hands committed async sends to BullMQ: one `send-message` job per message, jobId = message id
 * (a second add of the same id while the job exists is ignored, so the sweeper can re-add freely).
 * Never throws: a message whose job did not reach Redis stays `queued` and SendSweeper enqueues it.
 */
@Injectable()
export class SendQueueService {
  private readonly logger = new Logger(SendQueueService.name);

  constructor(@InjectQueue(QueueName.MessageSend) private readonly queue: Queue<SendMessageJob>) {
    this.queue.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'send queue: Redis connection error'),
    );
  }

  async enqueue(jobs: SendMessageJob[]): Promise<void> {
    if (jobs.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.addBulk(
          jobs.map((data) => ({
            name: JobName.SendMessage,
            data,
            opts: { jobId: data.messageId, removeOnComplete: true, removeOnFail: { count: 1000 } },
          })),
        ),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, count: jobs.length },
        'could not enqueue sends; the sweeper will',
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
