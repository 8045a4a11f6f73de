import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { RedisService } from '../../common/redis/redis.service';
import { EventsService } from './events.service';

/**
 * Re-enqueues deliveries that should be in BullMQ but may not be: pending rows older than one
 * sweep interval (Redis was down at commit time) and failed rows whose retry is long overdue
 * (their job was lost). The series' job id (`<id>` or `<id>-r<n>`) makes a re-add of a live job a
 * no-op; replays go back to the ordered queue.
 * One sweeper runs across the fleet at a time (Redis lease).
 */
@Injectable()
export class DeliverySweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliverySweeperService.name);
  private timer?: NodeJS.Timeout;
  private readonly owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.webhooks.sweepIntervalMs;
    this.timer = setInterval(
      () => void this.sweep().catch((err) => this.logger.warn({ err }, 'sweep failed')),
      every,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** @returns how many deliveries were handed to BullMQ. */
  async sweep(): Promise<number> {
    const every = this.config.webhooks.sweepIntervalMs;
    if (!(await this.redis.acquireLease('delivery-sweeper', this.owner, every))) return 0;
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
