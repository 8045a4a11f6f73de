import { ProviderError } from '../../../common/errors/app-error';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import { ConnectionContext, ConnectionStop, InboundItem, ProviderConnection } from '../provider-seams';
import { TELEGRAM, TelegramClient } from './telegram.client';
import { normalizeTelegramUpdate, TgUpdate } from './telegram.normalizer';

/** Where a polling bot's token and getUpdates offset live (TelegramAdapter). */
export interface TelegramPollingStore {
  /** The bot token and next offset; null when the instance's Telegram configuration is gone. */
  pollingState(instanceId: string): Promise<{ token: string; offset: number } | null>;
  saveOffset(instanceId: string, offset: number): Promise<void>;
}

export interface TelegramPollingOptions {
  /** getUpdates long-poll timeout, seconds (TELEGRAM_POLL_TIMEOUT_SECONDS). */
  timeoutSeconds: number;
  /** Update kinds asked for (TELEGRAM_ALLOWED_UPDATES). */
  allowedUpdates: readonly string[];
}

/**
 * Long polling (`getUpdates`) of one bot without a public URL (PROVIDERS.md §1.3), run by the
 * connection runtime under the instance's lease. `getMe` first (a rejected token stops here),
 * then `connected`; each non-empty batch is stored through `ctx.ingest` (the webhook's ingest:
 * archive, dedupe on update_id) and only then the offset advances. Telegram answering 401 → a
 * `ConnectionStop` with `needs_reauth`; any other failure rejects and the runtime reconnects
 * with backoff. Resolves promptly once `ctx.signal` aborts (the pending long poll is cancelled).
 */
export class TelegramPollingConnection implements ProviderConnection {
  constructor(
    private readonly instance: InstanceEntity,
    private readonly client: TelegramClient,
    private readonly store: TelegramPollingStore,
    private readonly options: TelegramPollingOptions,
  ) {}

  async run(ctx: ConnectionContext): Promise<void> {
    const { signal } = ctx;
    const instanceId = this.instance.id;
    try {
      const state = await this.store.pollingState(instanceId);
      if (!state) throw new ConnectionStop('the Telegram configuration of this instance is gone');
      const api = this.client.api(state.token);
      await this.client.call('getMe', () => api.getMe(signal as never));
      ctx.report({ state: 'connected', account: { mode: 'polling' } });
      let offset = state.offset;
      while (!signal.aborted) {
        const updates = (await this.client.call('getUpdates', () =>
          api.getUpdates(
            {
              offset,
              timeout: this.options.timeoutSeconds,
              allowed_updates: [...this.options.allowedUpdates] as never,
            },
            signal as never,
          ),
        )) as unknown as TgUpdate[];
        if (updates.length === 0) continue;
        await ctx.ingest(updates.map((update) => this.item(update)));
        offset = updates[updates.length - 1].update_id + 1;
        await this.store.saveOffset(instanceId, offset);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ProviderError && err.providerCode === 401)
        throw new ConnectionStop('Telegram rejected the bot token (401) while polling', 'needs_reauth');
      throw err;
    }
  }

  private item(update: TgUpdate): InboundItem {
    return {
      instance: { id: this.instance.id, provider: TELEGRAM },
      providerEventId: String(update.update_id),
      payload: update,
      result: normalizeTelegramUpdate(update),
    };
  }
}
