import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { EntityManager, Repository } from 'typeorm';
import { DeliverWebhookJob, deliveryJobId, JobName, QueueName } from '../../common/queues/queues';
import { AppConfig } from '../../config/app-config';
import type { InstanceEntity } from '../instances-core/instance.entity';
import { EventEntity } from './event.entity';
import { EventEnvelope, wantsEvent } from './event-types';
import { envelopeBytes, payloadTooLarge } from './payload-size';

/** A delivery row written in a transaction, to be enqueued once that transaction commits. */
export interface PendingDelivery {
  deliveryId: string;
  retryIntervalMs: number;
  /** Retries left in this series after its first attempt. */
  maxRetries: number;
  /** Manual retry series (default 0); picks the BullMQ job id. */
  series?: number;
  /** Replays go through the one-at-a-time queue. */
  ordered?: boolean;
}

export interface RecordedEvent {
  eventId: string;
  sequence: number;
  delivery: PendingDelivery | null;
}

export const toEnvelope = (
  e: Pick<EventEntity, 'id' | 'type' | 'instanceId' | 'sequence' | 'payload' | 'createdAt'>,
  provider: string,
): EventEnvelope => ({
  id: e.id,
  event: e.type,
  instanceId: e.instanceId,
  provider,
  sequence: Number(e.sequence),
  data: e.payload,
  timestamp: new Date(e.createdAt).toISOString(),
});

/**
 * The event outbox (DESIGN.md §4). `record` writes the event and, when the instance's webhook
 * wants it, its delivery row — inside the caller's transaction, in one round trip. `enqueue`
 * hands committed deliveries to BullMQ (jobId = delivery id); if Redis is down at that moment
 * the sweeper picks them up later, so nothing is lost.
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);
  private batch: PendingDelivery[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    @InjectRepository(EventEntity) private readonly events: Repository<EventEntity>,
    @InjectQueue(QueueName.WebhookDelivery) private readonly queue: Queue<DeliverWebhookJob>,
    @InjectQueue(QueueName.WebhookReplay) private readonly replayQueue: Queue<DeliverWebhookJob>,
    private readonly config: AppConfig,
  ) {
    // connection errors while Redis is away: logged, not thrown (an 'error' event without a listener would be)
    this.queue.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'webhook queue: Redis connection error'),
    );
  }

  /**
   * An event whose envelope would exceed WEBHOOK_MAX_PAYLOAD_BYTES still gets its event row and a
   * delivery row, written `dead` with `last_error` `payload_too_large: <n> bytes > <limit>` so the
   * log API shows why, and no job (`delivery: null`).
   */
  async record(
    manager: EntityManager,
    instance: InstanceEntity,
    type: string,
    data: Record<string, unknown>,
  ): Promise<RecordedEvent> {
    const url =
      instance.webhookEnabled && instance.webhookUrl && wantsEvent(instance, type, data)
        ? instance.webhookUrl
        : null;
    const dataJson = JSON.stringify(data);
    const tooLarge = url
      ? payloadTooLarge(
          envelopeBytes(type, instance.id, instance.provider, dataJson),
          this.config.webhooks.maxPayloadBytes,
        )
      : null;
    const [row] = await manager.query(
      `WITH e AS (
         INSERT INTO events (instance_id, type, payload) VALUES ($1, $2, $3) RETURNING id, sequence
       ), d AS (
         INSERT INTO webhook_deliveries (event_id, instance_id, url, status, last_error)
         SELECT e.id, $1, $4, CASE WHEN $5::text IS NULL THEN 'pending' ELSE 'dead' END, $5
           FROM e WHERE $4::text IS NOT NULL RETURNING id
       )
       SELECT e.id AS event_id, e.sequence, (SELECT id FROM d) AS delivery_id FROM e`,
      [instance.id, type, dataJson, url, tooLarge],
    );
    return {
      eventId: row.event_id,
      sequence: Number(row.sequence),
      delivery:
        row.delivery_id && !tooLarge
          ? {
              deliveryId: row.delivery_id,
              retryIntervalMs: instance.retryIntervalMs,
              maxRetries: instance.maxRetries,
            }
          : null,
    };
  }

  /** Records one event in its own transaction and enqueues its delivery. */
  async emit(
    manager: EntityManager,
    instance: InstanceEntity,
    type: string,
    data: Record<string, unknown>,
  ): Promise<RecordedEvent> {
    const recorded = await manager.transaction((tx) => this.record(tx, instance, type, data));
    await this.enqueue([recorded.delivery]);
    return recorded;
  }

  /**
   * Never throws: a delivery that could not reach Redis stays pending for the sweeper.
   * Concurrent callers are batched into one `addBulk` per event-loop turn (one Redis round trip
   * for many requests under load).
   */
  async enqueue(deliveries: (PendingDelivery | null | undefined)[]): Promise<void> {
    const all = deliveries.filter((d): d is PendingDelivery => !!d);
    const ordered = all.filter((d) => d.ordered);
    if (ordered.length) await this.enqueueOrdered(ordered);
    const jobs = ordered.length ? all.filter((d) => !d.ordered) : all;
    if (jobs.length === 0) return;
    this.batch.push(...jobs);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(() => void this.flush().finally(resolve)));
    await this.flushing;
  }

  private async flush(): Promise<void> {
    const jobs = this.batch;
    this.batch = [];
    this.flushing = null;
    try {
      // Bounded: with Redis unreachable ioredis would queue the command until it reconnects and the
      // request that produced the event would hang. The rows are committed; the sweeper re-enqueues.
      await withTimeout(ENQUEUE_TIMEOUT_MS, this.queue.addBulk(jobs.map(toJob)));
    } catch (err) {
      this.logger.warn({ err, count: jobs.length }, 'could not enqueue deliveries; the sweeper will retry');
    }
  }

  /** Adds replay deliveries, in the given order, to the queue that runs one job at a time. Never throws. */
  private async enqueueOrdered(deliveries: PendingDelivery[]): Promise<void> {
    try {
      await this.replayQueue.addBulk(deliveries.map(toJob));
    } catch (err) {
      this.logger.warn(
        { err, count: deliveries.length },
        'could not enqueue replays; the sweeper will retry',
      );
    }
  }

  /** The seeds' event feed: events after `since`, oldest first, optionally filtered by type. */
  async feed(instanceId: string, q: { since?: Date; limit?: number; types?: string[] }, provider: string) {
    const limit = q.limit ?? 20;
    const qb = this.events
      .createQueryBuilder('e')
      .where('e.instanceId = :instanceId', { instanceId })
      .orderBy('e.sequence', 'ASC')
      .limit(limit + 1);
    // timestamps are compared at the millisecond precision the API shows, so `since=latestTimestamp` never repeats an event
    if (q.since) qb.andWhere("date_trunc('milliseconds', e.created_at) > :since", { since: q.since });
    if (q.types?.length) qb.andWhere('e.type IN (:...types)', { types: q.types });
    const rows = await qb.getMany();
    const hasMore = rows.length > limit;
    const events = rows.slice(0, limit).map((e) => {
      const env = toEnvelope(e, provider);
      return { ...env, type: env.event };
    });
    return {
      events,
      latestTimestamp: events.length ? events[events.length - 1].timestamp : null,
      count: events.length,
      hasMore,
    };
  }
}

/** How long a request waits for Redis to take its deliveries, ms. */
const ENQUEUE_TIMEOUT_MS = 1000;

function withTimeout<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const toJob = (d: PendingDelivery) => ({
  name: JobName.DeliverWebhook,
  data: { deliveryId: d.deliveryId, retryIntervalMs: d.retryIntervalMs },
  opts: { jobId: deliveryJobId(d.deliveryId, d.series ?? 0), ...deliveryJobOptions(d.maxRetries) },
});

/**
 * BullMQ options for a delivery job: maxRetries retries after the first attempt, custom backoff.
 * PostgreSQL holds every delivery's state and attempts, so Redis keeps no finished jobs: a
 * completed job is deleted at once (cheaper than trimming a kept set on every job) and only the
 * last 1,000 failed ones stay for inspection, so Redis memory stays bounded.
 */
export function deliveryJobOptions(maxRetries: number) {
  return {
    attempts: maxRetries + 1,
    backoff: { type: 'custom' },
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
  };
}
