import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { SendQueueService } from './send-queue.service';

/**
 * Re-enqueues async sends still `queued` a sweep interval after they were stored (their job never
 * reached Redis, e.g. Redis was down at commit). Re-adding is harmless: jobId = message id, so a
 * job that still exists (waiting, delayed, active) is not added twice.
 */
@Injectable()
export class SendSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SendSweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queue: SendQueueService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.send.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** @returns how many sends were handed to the queue again. */
  async sweep(): Promise<number> {
    try {
      const rows: { id: string; instance_id: string; chat_id: string }[] = await this.db.query(
        `SELECT id, instance_id, chat_id FROM messages
          WHERE status = 'queued' AND queue_seq IS NOT NULL AND created_at < now() - $1 * interval '1 millisecond'
          ORDER BY queue_seq LIMIT 1000`,
        [this.config.send.sweepIntervalMs],
      );
      await this.queue.enqueue(
        rows.map((r) => ({ messageId: r.id, instanceId: r.instance_id, chatId: r.chat_id })),
      );
      return rows.length;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'send sweep failed');
      return 0;
    }
  }
}
