import { OnWorkerEvent } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AppError, ProviderError } from '../../../common/errors/app-error';
import { GatewayMetrics } from '../../../common/metrics/gateway-metrics';
import { GatewayWorkerHost } from '../../../common/queues/gateway-worker-host';
import { SendMessageJob } from '../../../common/queues/queues';
import { RedisService } from '../../../common/redis/redis.service';
import { InstanceEntity } from '../../instances-core/instance.entity';
import { InstancesService } from '../../instances/instances.service';
import type { OutboundMessage } from '../../providers/normalized';
import { ProviderRegistry } from '../../providers/provider-registry';
import { MessageEntity } from '../message.entity';
import type { SendMessageDto } from '../messages.dto';
import { MessagesService } from '../messages.service';
import { SendPacer } from './pacing';

/** The chat lock's lifetime, ms: longer than a provider call can take (grammY: 60 s), renewed per message. */
const CHAT_LOCK_MS = 120_000;
/** A job that finds its chat locked by another job looks again after this long, ms. */
const LOCKED_RETRY_MS = 1000;
/** Pacing waits up to this long are slept in the job; longer ones delay the job, ms. */
const MAX_SLEEP_MS = 5000;
/** Buckets with at least this gap, ms, are also spaced from the end of each send. */
const SPACED_GAP_MS = 250;
/** Attempts for a provider that is down (502) before the message fails; 429s never count. */
const UNAVAILABLE_ATTEMPTS = 3;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** The failed job's reason when its instance was deleted (its queued messages went with it). */
const instanceDeleted = (instanceId: string, messageId: string) =>
  new UnrecoverableError(
    `instance_deleted: instance ${instanceId} was deleted before message ${messageId} was sent; it was not sent`,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reason an instance cannot send, or null when it can (a logged-out or rejected connection cannot). */
export function cannotSend(instance: InstanceEntity): string | null {
  if (instance.status === 'needs_reauth')
    return `Instance ${instance.id} needs re-authentication (${instance.statusReason ?? 'credentials rejected'}); the message was not sent`;
  if (instance.status === 'disconnected' && instance.statusReason === 'logout')
    return `Instance ${instance.id} is logged out; the message was not sent`;
  return null;
}

/**
 * Sends async messages (issue 11), one BullMQ job per queued message. A job takes its chat's lock
 * (Redis, `<prefix>:send-lock:<chatId>`), then sends the chat's oldest queued messages
 * (`queue_seq` order) until its own is done — so order within a chat holds whichever job runs,
 * and a job whose message another job already sent just completes. Each send first reserves a
 * slot in the provider's pacing buckets (SendPacer); a provider 429 holds the buckets for its
 * Retry-After and the same message is tried again (a 429 never fails a message); a provider that
 * is down gets 3 attempts; any other provider error fails the message with that error
 * (`message_failed`), as does a logged-out connection. A job whose instance was deleted fails
 * (UnrecoverableError `instance_deleted: …`, never retried): its message went with the instance.
 */
@Injectable()
export class SendMessageProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(SendMessageProcessor.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
    private readonly instanceService: InstancesService,
    private readonly providers: ProviderRegistry,
    private readonly sender: MessagesService,
    private readonly pacer: SendPacer,
    private readonly redis: RedisService,
    private readonly metrics: GatewayMetrics,
  ) {
    super();
  }

  async process(job: Job<SendMessageJob>, token?: string): Promise<void> {
    const { messageId, instanceId, chatId } = job.data;
    const [own]: { status: string; queue_seq: string }[] = await this.db.query(
      'SELECT status, queue_seq FROM messages WHERE id = $1',
      [messageId],
    );
    if (!own) return this.assertInstance(instanceId, messageId);
    if (own.status !== 'queued') return;

    const lockKey = this.redis.key('send-lock', chatId);
    const lockToken = randomUUID();
    const locked = await this.redis.client.set(lockKey, lockToken, 'PX', CHAT_LOCK_MS, 'NX');
    if (locked !== 'OK') return this.later(job, token, LOCKED_RETRY_MS);
    try {
      const attempts = new Map<string, number>();
      for (;;) {
        await this.redis.client.eval(RENEW, 1, lockKey, lockToken, String(CHAT_LOCK_MS));
        const next = await this.messages
          .createQueryBuilder('m')
          .addSelect(['m.outbound', 'm.queueSeq'])
          .where("m.chatId = :chatId AND m.status = 'queued' AND m.queueSeq IS NOT NULL", { chatId })
          .andWhere('m.queueSeq <= :seq', { seq: own.queue_seq })
          .orderBy('m.queueSeq', 'ASC')
          .limit(1)
          .getOne();
        if (!next) {
          // ours is done — unless it went with its instance
          const [ownNow] = await this.db.query('SELECT 1 FROM messages WHERE id = $1', [messageId]);
          if (!ownNow) await this.assertInstance(instanceId, messageId);
          return;
        }
        let instance = await this.instances.findOneBy({ id: instanceId });
        if (!instance) throw instanceDeleted(instanceId, messageId);
        const outbound = next.outbound as unknown as OutboundMessage;
        const dto = outbound as unknown as SendMessageDto;
        const adapter = this.providers.get(instance.provider);
        const slots = this.pacer.slots(adapter, instance.id, chatId, outbound.to, outbound.type);
        const wait = await this.pacer.reserve(slots);
        if (wait > MAX_SLEEP_MS) return this.later(job, token, wait);
        if (wait > 0) {
          await sleep(wait);
          // the instance may have been deleted or logged out meanwhile
          instance = await this.instances.findOneBy({ id: instanceId });
          if (!instance) throw instanceDeleted(instanceId, messageId);
        }
        const refusal = cannotSend(instance);
        if (refusal) {
          await this.sender.finish(
            instance,
            next,
            dto,
            {
              error: new AppError(409, 'instance_disconnected', refusal, { instanceStatus: instance.status }),
            },
            true,
          );
          continue;
        }
        // slow buckets (a chat's 1/s) are spaced from the end of the previous send, not only its
        // start: a send that took longer must not bunch with the next one at the provider
        const spaced = slots.filter((slot) => slot.gapMs >= SPACED_GAP_MS);
        try {
          const result = await adapter
            .send(instance, outbound)
            .finally(() =>
              Promise.all(spaced.map((slot) => this.pacer.hold(slot, slot.gapMs).catch(() => undefined))),
            );
          await this.sender.finish(instance, next, dto, { result }, true);
          this.metrics.messages.inc({ provider: instance.provider, direction: 'out', type: next.type });
        } catch (err) {
          if (err instanceof ProviderError)
            this.metrics.providerErrors.inc({ provider: err.provider, code: err.code });
          if (err instanceof ProviderError && err.status === 429) {
            // never fails the message: nothing goes through these buckets until Retry-After, then the same message again
            const ms = Math.max(1, err.retryAfterSeconds ?? 1) * 1000;
            await Promise.all(slots.map((s) => this.pacer.hold(s, ms)));
            if (slots.length === 0) await sleep(Math.min(ms, MAX_SLEEP_MS));
            continue;
          }
          const tries = (attempts.get(next.id) ?? 0) + 1;
          attempts.set(next.id, tries);
          if (
            err instanceof ProviderError &&
            err.status === 502 &&
            err.code !== 'provider_unauthorized' &&
            tries < UNAVAILABLE_ATTEMPTS
          ) {
            await sleep(1000 * 2 ** (tries - 1));
            continue;
          }
          await this.sender.finish(instance, next, dto, { error: err }, true);
          if (err instanceof ProviderError && err.code === 'provider_unauthorized')
            await this.instanceService.setStatus(instance, 'needs_reauth', err.message);
        }
      }
    } finally {
      await this.redis.client.eval(RELEASE, 1, lockKey, lockToken).catch(() => undefined);
    }
  }

  /** @throws UnrecoverableError `instance_deleted: …` when the instance no longer exists. */
  private async assertInstance(instanceId: string, messageId: string): Promise<void> {
    const [instance] = await this.db.query('SELECT 1 FROM instances WHERE id = $1', [instanceId]);
    if (!instance) throw instanceDeleted(instanceId, messageId);
  }

  /** Puts the job back as delayed for `ms` (not an attempt: BullMQ's DelayedError). */
  private async later(job: Job<SendMessageJob>, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError();
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.onWorkerError(err);
  }
}
