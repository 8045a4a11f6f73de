import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import { AppError } from '../../common/errors/app-error';
import { RedisService } from '../../common/redis/redis.service';
import { InstanceEntity } from '../instances-core/instance.entity';
import { InstanceEventSink } from './instance-event-sink';
import {
  ExceededLimit,
  hasLimits,
  LimitName,
  reachedLimit,
  secondsUntilUtcMidnight,
} from './instance-limits';
import { utcDay } from './usage-counts';
import { UsageService } from './usage.service';

/**
 * Enforces `instances.limits` (per UTC day) against counted usage. A refusal is a 429
 * `limit_exceeded` naming the limit, with Retry-After until UTC midnight; the first refusal of
 * each limit per day also records a `limit_exceeded` event (seeds' payload `{instanceId,
 * exceededLimits, usage}`), deduplicated across processes with a Redis `SET NX`.
 * Usage is flushed rows plus this process's pending counts, so with several API processes a
 * limit can be overshot by what the others counted in the last flush interval.
 */
@Injectable()
export class LimitsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageService,
    private readonly events: InstanceEventSink,
    private readonly redis: RedisService,
  ) {}

  /** Before a send: maxMessagesSent (and maxMediaSent for media). @throws AppError 429 limit_exceeded */
  async assertCanSend(instance: InstanceEntity, media: boolean): Promise<void> {
    const names: LimitName[] = media ? ['maxMessagesSent', 'maxMediaSent'] : ['maxMessagesSent'];
    await this.check(instance, names);
  }

  /**
   * Before an API request that names an instance: counts it in `apiCalls` and enforces
   * maxApiCalls. Someone else's (or an unknown) instance is neither counted nor refused here;
   * the handler answers 404. @throws AppError 429 limit_exceeded
   */
  async countApiCall(principal: Principal, instanceId: string): Promise<void> {
    const [row] = await this.db.query('SELECT user_id, limits FROM instances WHERE id = $1', [instanceId]);
    if (!row || (!isAdmin(principal) && row.user_id !== principal.userId)) return;
    if (hasLimits(row.limits, ['maxApiCalls'])) {
      const instance = await this.db.getRepository(InstanceEntity).findOneBy({ id: instanceId });
      if (instance) await this.check(instance, ['maxApiCalls']);
    }
    this.usage.add(instanceId, { apiCalls: 1 });
  }

  private async check(instance: InstanceEntity, names: LimitName[]): Promise<void> {
    if (!this.usage.enabled || !hasLimits(instance.limits, names)) return;
    const reached = reachedLimit(instance.limits, await this.usage.today(instance.id), names);
    if (!reached) return;
    await this.notifyOnce(instance, reached);
    const retryAfter = secondsUntilUtcMidnight();
    throw new AppError(
      429,
      'limit_exceeded',
      `Daily limit ${reached.limit} (${reached.max}) of instance ${instance.id} is reached; it resets at 00:00 UTC`,
      { limit: reached.limit, max: reached.max, usage: { [reached.field]: reached.used }, retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  private async notifyOnce(instance: InstanceEntity, reached: ExceededLimit): Promise<void> {
    const date = utcDay();
    const first = await this.redis.client.set(
      this.redis.key('limit-exceeded', instance.id, date, reached.limit),
      '1',
      'EX',
      2 * 86_400,
      'NX',
    );
    if (first !== 'OK') return;
    await this.events.emit(this.db.manager, instance, 'limit_exceeded', {
      instanceId: instance.id,
      exceededLimits: [reached.limit],
      usage: { [reached.field]: reached.used },
      limits: { [reached.limit]: reached.max },
      date,
    });
  }
}
