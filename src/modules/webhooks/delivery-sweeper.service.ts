import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Lease, RedisService } from '../../common/redis/redis.service';
import { EventsService } from './events.service';

/**
 * Re-enqueues deliveries that should be in BullMQ but may not be: pending rows older than one
 * sweep interval (Redis was down at commit time) and failed rows whose retry is long overdue
 * (their job was lost). The series' job id (`<id>` or `<id>-r<n>`) makes a re-add of a live job a
 * no-op; replays go back to the ordered queue.
 * One sweeper runs across the fleet at a time (Redis lease). At shutdown it stops before the
 * queues, Redis and the database close (onModuleDestroy), letting a running sweep finish.
 */
@Injectable()
export class DeliverySweeperService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliverySweeperService.name);
  private timer?: NodeJS.Timeout;
  private lease: Lease | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.webhooks.sweepIntervalMs;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err) => this.logger.warn({ err }, 'sweep failed'))
        .finally(() => (this.running = null));
    }, every);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** @returns how many deliveries were handed to BullMQ. */
  async sweep(): Promise<number> {
    const every = this.config.webhooks.sweepIntervalMs;
    this.lease = await this.redis.holdLease('delivery-sweeper', this.redis.owner, every, this.lease);
    if (!this.lease) return 0;
    const rows: {
      id: string;
      retry_interval_ms: number;
      max_retries: number;
      attempts: number;
      series: number;
      series_start_attempt: number;
      ordered: boolean;
    }[] = await this.db.query(
      `SELECT d.id, d.attempts, d.series, d.series_start_attempt, d.ordered, i.retry_interval_ms, i.max_retries
         FROM webhook_deliveries d JOIN instances i ON i.id = d.instance_id
        WHERE (d.status = 'pending' AND d.created_at < now() - make_interval(secs => $1 / 1000.0))
           OR (d.status = 'failed' AND d.next_attempt_at < now() - make_interval(secs => $1 / 1000.0))
        ORDER BY d.created_at
        LIMIT 1000`,
      [every],
    );
    await this.events.enqueue(
      rows.map((r) => ({
        deliveryId: r.id,
        retryIntervalMs: r.retry_interval_ms,
        maxRetries: Math.max(0, r.max_retries - (r.attempts - r.series_start_attempt)),
        series: r.series,
        ordered: r.ordered,
      })),
    );
    return rows.length;
  }
}
