import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Lease, RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';

/** How often retention runs, ms. */
const RETENTION_INTERVAL_MS = 3_600_000;
/** Rows deleted per statement, so one run never holds long locks. */
const BATCH = 5000;

/**
 * Deletes finished deliveries (their attempts go by ON DELETE CASCADE): succeeded ones after
 * WEBHOOK_RETENTION_SUCCEEDED_MS, dead ones after WEBHOOK_RETENTION_DEAD_MS, counted from when
 * they reached that state (`updated_at`). Hourly, one runner across the fleet (Redis lease),
 * in batches of 5,000. Events stay (the feed and replays read them). At shutdown a running pass
 * stops after its current batch, before the database closes (onModuleDestroy).
 */
@Injectable()
export class DeliveryRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryRetentionService.name);
  private timer?: NodeJS.Timeout;
  private lease: Lease | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.run().finally(() => (this.running = null));
    }, RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      this.lease = await this.redis.holdLease(
        'delivery-retention',
        this.redis.owner,
        RETENTION_INTERVAL_MS,
        this.lease,
      );
      if (!this.lease) return;
      const pruned = await this.prune();
      if (pruned.succeeded || pruned.dead) this.logger.log(pruned, 'pruned old deliveries');
    } catch (err) {
      this.logger.warn({ err }, 'delivery retention failed');
    }
  }

  /** Deletes what is past retention now. @returns how many deliveries of each status were deleted. */
  async prune(): Promise<{ succeeded: number; dead: number }> {
    return {
      succeeded: await this.pruneStatus('succeeded', this.config.webhooks.retentionSucceededMs),
      dead: await this.pruneStatus('dead', this.config.webhooks.retentionDeadMs),
    };
  }

  private async pruneStatus(status: 'succeeded' | 'dead', olderThanMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ n }]: { n: number }[] = await this.db.query(
        `WITH gone AS (
           DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries
              WHERE status = $1 AND updated_at < now() - make_interval(secs => $2 / 1000.0)
              LIMIT $3)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [status, olderThanMs, BATCH],
      );
      total += n;
      if (n < BATCH || this.stopping) return total;
    }
  }
}
