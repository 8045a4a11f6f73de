import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Repository } from 'typeorm';
import { ProviderError } from '../../common/errors/app-error';
import { RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';
import { InstanceEntity } from '../instances/instance.entity';
import { InstancesService } from '../instances/instances.service';
import { ConversationsService } from '../messages/conversations.service';
import { TELEGRAM_ALLOWED_UPDATES, TelegramAdapter } from '../providers/telegram/telegram.adapter';
import { TelegramClient } from '../providers/telegram/telegram.client';
import { normalizeTelegramUpdate, TgUpdate } from '../providers/telegram/telegram.normalizer';

/** How often the set of polling bots is re-read, ms. */
const REFRESH_MS = 2000;
/** Lease on one bot's getUpdates loop, ms; renewed every loop iteration. */
const LEASE_MS = 60_000;

/**
 * Long polling (`getUpdates`) for Telegram instances without a public URL (PROVIDERS.md §1.3).
 * Exactly one poller per bot across the fleet: each loop holds a Redis lease, and another
 * worker takes over when the owner dies. Each update goes through the same ingest as the
 * webhook; the offset advances only after the update is stored.
 */
@Injectable()
export class TelegramPollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TelegramPollerService.name);
  private readonly owner = randomUUID();
  private readonly loops = new Map<string, AbortController>();
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
    const tick = () => void this.refresh().catch((err) => this.logger.warn({ err }, 'poller refresh failed'));
    tick();
    this.timer = setInterval(tick, REFRESH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const [id, ctrl] of this.loops) {
      ctrl.abort();
      await this.redis.releaseLease(`telegram-poll:${id}`, this.owner).catch(() => undefined);
    }
  }

  /** Instance ids this process is polling now. */
  get active(): string[] {
    return [...this.loops.keys()];
  }

  private async refresh(): Promise<void> {
    if (this.stopping) return;
    const targets = await this.adapter.pollingTargets();
    const wanted = new Set(targets.map((t) => t.instanceId));
    for (const [id, ctrl] of this.loops) if (!wanted.has(id)) ctrl.abort();
    for (const t of targets) {
      if (this.loops.has(t.instanceId)) continue;
      if (!(await this.redis.acquireLease(`telegram-poll:${t.instanceId}`, this.owner, LEASE_MS))) continue;
      const ctrl = new AbortController();
      this.loops.set(t.instanceId, ctrl);
      void this.loop(t.instanceId, t.token, t.offset, ctrl.signal).finally(() => {
        this.loops.delete(t.instanceId);
        void this.redis.releaseLease(`telegram-poll:${t.instanceId}`, this.owner).catch(() => undefined);
      });
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
        if (!(await this.redis.acquireLease(`telegram-poll:${instanceId}`, this.owner, LEASE_MS))) return;
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
