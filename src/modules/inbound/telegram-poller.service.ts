import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { Repository } from 'typeorm';
import { ProviderError } from '../../common/errors/app-error';
import { Lease, RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';
import { InstanceEntity } from '../instances-core/instance.entity';
import { InstancesService } from '../instances/instances.service';
import { ConversationsService } from '../messages/conversations.service';
import { TELEGRAM_ALLOWED_UPDATES, TelegramAdapter } from '../providers/telegram/telegram.adapter';
import { TelegramClient } from '../providers/telegram/telegram.client';
import { normalizeTelegramUpdate, TgUpdate } from '../providers/telegram/telegram.normalizer';

/** How often the set of polling bots is re-read and free leases are tried, ms. */
const REFRESH_MS = 2000;
/**
 * TTL of a bot's polling lease, ms (DESIGN.md §4: ≤ 15 s). A dead owner's bot is taken over
 * within TTL + REFRESH_MS (≤ 17 s); a stopped owner releases it at once.
 */
export const POLL_LEASE_TTL_MS = 15_000;
/** How often the owner renews its lease, ms: a third of the TTL, so two renewals may fail. */
const RENEW_EVERY_MS = 5000;

/** Redis lease name of a bot's polling loop. */
export const pollLeaseName = (instanceId: string) => `telegram-poll:${instanceId}`;

interface PollLoop {
  abort: AbortController;
  /** Settles once the loop has stopped and its lease is released. */
  done: Promise<void>;
}

/**
 * Long polling (`getUpdates`) for Telegram instances without a public URL (PROVIDERS.md §1.3).
 * Exactly one poller per bot across the fleet: each loop holds a Redis lease (TTL 15 s, renewed
 * every 5 s, fenced, see RedisService.acquireLease); a process that cannot renew it in time stops
 * polling before it expires, and another worker takes over. A process waiting for a lease that
 * another one holds logs who holds it and when it expires, and how long it waited once it takes
 * over. At shutdown (onModuleDestroy, while Redis and the database are up) the loops stop after
 * the batch they are storing and release their leases, so a restarted gateway polls again at
 * once. Each update goes through the same ingest as the webhook; the offset advances only after
 * the update is stored.
 */
@Injectable()
export class TelegramPollerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelegramPollerService.name);
  private readonly loops = new Map<string, PollLoop>();
  /** Bots whose lease another process holds: since when this process waits, and for whom. */
  private readonly waiting = new Map<string, { since: number; holder: string }>();
  private refreshing: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
    private readonly adapter: TelegramAdapter,
    private readonly client: TelegramClient,
    private readonly conversations: ConversationsService,
    private readonly instanceService: InstancesService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      if (this.stopping) return;
      this.refreshing ??= this.refresh()
        .catch((err) => this.logger.warn({ err }, 'poller refresh failed'))
        .finally(() => (this.refreshing = null));
    };
    tick();
    this.timer = setInterval(tick, REFRESH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    const loops = [...this.loops.values()];
    for (const loop of loops) loop.abort.abort();
    await Promise.all(loops.map((loop) => loop.done));
    if (loops.length)
      this.logger.log({ instances: loops.length }, 'Telegram pollers stopped, leases released');
  }

  /** Instance ids this process is polling now. */
  get active(): string[] {
    return [...this.loops.keys()];
  }

  private async refresh(): Promise<void> {
    const targets = await this.adapter.pollingTargets();
    const wanted = new Set(targets.map((t) => t.instanceId));
    for (const [id, loop] of this.loops) if (!wanted.has(id)) loop.abort.abort();
    for (const id of this.waiting.keys()) if (!wanted.has(id)) this.waiting.delete(id);
    for (const t of targets) {
      if (this.stopping) return;
      if (this.loops.has(t.instanceId)) continue;
      const askedAt = Date.now();
      const attempt = await this.redis.acquireLease(
        pollLeaseName(t.instanceId),
        this.redis.owner,
        POLL_LEASE_TTL_MS,
      );
      if (!attempt.acquired) {
        this.noteWaiting(t.instanceId, attempt.holder, attempt.expiresInMs);
        continue;
      }
      if (this.stopping) {
        await this.redis.releaseLease(attempt.lease);
        return;
      }
      this.noteAcquired(t.instanceId);
      this.start(t, attempt.lease, askedAt + POLL_LEASE_TTL_MS);
    }
  }

  /** Logs once per holder that this process waits for a bot's lease. */
  private noteWaiting(instanceId: string, holder: string, expiresInMs: number): void {
    const now = Date.now();
    const waited = this.waiting.get(instanceId);
    if (waited?.holder === holder) return;
    this.waiting.set(instanceId, { since: waited?.since ?? now, holder });
    this.logger.log(
      { instanceId, holder, expiresInMs, waitingMs: waited ? now - waited.since : 0 },
      `Telegram polling of instance ${instanceId} is leased to ${holder}, expiring in ` +
        `${seconds(expiresInMs)} s unless renewed; waiting to take over`,
    );
  }

  private noteAcquired(instanceId: string): void {
    const waited = this.waiting.get(instanceId);
    if (!waited) return;
    this.waiting.delete(instanceId);
    const waitedMs = Date.now() - waited.since;
    this.logger.log(
      { instanceId, previousHolder: waited.holder, waitedMs },
      `took over Telegram polling of instance ${instanceId} after waiting ${seconds(waitedMs)} s`,
    );
  }

  /** Runs a bot's loop under `lease` (valid until `validUntil`, epoch ms), renewing it until the loop ends. */
  private start(
    t: { instanceId: string; token: string; offset: number },
    lease: Lease,
    validUntil: number,
  ): void {
    const { instanceId } = t;
    const abort = new AbortController();
    const state = { validUntil };
    const keeper = setInterval(() => void this.renew(instanceId, lease, state, abort), RENEW_EVERY_MS);
    keeper.unref();
    const done = this.loop(instanceId, t.token, t.offset, abort.signal)
      .catch((err) => this.logger.error({ instanceId, err }, 'Telegram poller stopped on an error'))
      .finally(async () => {
        clearInterval(keeper);
        await this.redis
          .releaseLease(lease)
          .catch((err) =>
            this.logger.warn(
              { instanceId, err: (err as Error).message },
              'could not release the Telegram polling lease; it expires by itself',
            ),
          );
        // only now: a refresh in between would find this process's own lease and wait for it
        this.loops.delete(instanceId);
      });
    this.loops.set(instanceId, { abort, done });
    this.logger.log({ instanceId, fence: lease.fence }, `polling Telegram for instance ${instanceId}`);
  }

  /**
   * Extends the lease; stops the loop when the lease was lost, or when Redis does not answer and
   * the lease could expire before the next renewal (another process may take over then).
   */
  private async renew(
    instanceId: string,
    lease: Lease,
    state: { validUntil: number },
    abort: AbortController,
  ): Promise<void> {
    if (abort.signal.aborted) return;
    const sentAt = Date.now();
    try {
      if (await this.redis.renewLease(lease, POLL_LEASE_TTL_MS)) {
        state.validUntil = sentAt + POLL_LEASE_TTL_MS;
        return;
      }
      this.logger.warn({ instanceId, lease: lease.token }, 'Telegram polling lease lost; this poller stops');
      abort.abort();
    } catch (err) {
      if (Date.now() + RENEW_EVERY_MS < state.validUntil) return;
      this.logger.warn(
        { instanceId, err: (err as Error).message },
        'cannot renew the Telegram polling lease before it expires; this poller stops',
      );
      abort.abort();
    }
  }

  private async loop(
    instanceId: string,
    token: string,
    startOffset: number,
    signal: AbortSignal,
  ): Promise<void> {
    let offset = startOffset;
    let failures = 0;
    const api = this.client.api(token);
    while (!signal.aborted) {
      try {
        const updates = await this.client.call('getUpdates', () =>
          api.getUpdates(
            {
              offset,
              timeout: this.config.telegram.pollTimeoutSeconds,
              allowed_updates: [...TELEGRAM_ALLOWED_UPDATES],
            },
            signal as never,
          ),
        );
        if (updates.length === 0) continue;
        const instance = await this.instances.findOne({ where: { id: instanceId } });
        if (!instance) return;
        for (const update of updates as unknown as TgUpdate[]) {
          await this.conversations.ingest(
            instance,
            String(update.update_id),
            update,
            normalizeTelegramUpdate(update),
          );
          offset = update.update_id + 1;
          await this.adapter.saveOffset(instanceId, offset);
        }
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ProviderError && err.providerCode === 401) {
          const instance = await this.instances.findOne({ where: { id: instanceId } });
          if (instance)
            await this.instanceService.setStatus(
              instance,
              'needs_reauth',
              'Telegram rejected the bot token (401) while polling',
            );
          return;
        }
        failures += 1;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        this.logger.warn({ instanceId, err: (err as Error).message, retryInMs: delay }, 'getUpdates failed');
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}

/** ms as seconds with one decimal, for log messages. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
