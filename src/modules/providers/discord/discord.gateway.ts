import { Logger } from '@nestjs/common';
import type { REST } from '@discordjs/rest';
import { type SessionInfo, WebSocketManager, WebSocketShardEvents } from '@discordjs/ws';
import type { GatewayDispatchPayload, GatewayReadyDispatchData } from 'discord-api-types/v10';
import type { ConnectionContext, InboundItem, ProviderConnection } from '../provider-seams';
import { ConnectionStop } from '../provider-seams';
import { DISCORD } from './discord.client';
import {
  DiscordInteraction,
  InteractionResponse,
  InteractionType,
  normalizeDiscordInteraction,
} from './discord.interactions';
import {
  DISCORD_INGESTED_EVENTS,
  MESSAGE_CONTENT_INTENT,
  NO_CONTENT_INTENT_REASON,
  normalizeDiscordDispatch,
} from './discord.normalizer';

/** Privileged intents (gateway.mdx "Privileged Intents"), named as the Developer Portal names them. */
export const PRIVILEGED_INTENTS: [bit: number, portalName: string][] = [
  [1 << 1, 'Server Members Intent (GUILD_MEMBERS)'],
  [1 << 8, 'Presence Intent (GUILD_PRESENCES)'],
  [MESSAGE_CONTENT_INTENT, 'Message Content Intent (MESSAGE_CONTENT)'],
];

/** Close codes after which reconnecting cannot help (opcodes-and-status-codes.mdx). */
const FATAL_CLOSE: Record<number, string> = {
  4010: 'Invalid shard (4010)',
  4011: 'Sharding required (4011): this bot is in too many servers for one connection',
  4012: 'Invalid API version (4012)',
  4013: 'Invalid intents (4013): config.intents holds a bit Discord does not know',
};

/** What the connection needs from the adapter. */
export interface DiscordGatewayTarget {
  instanceId: string;
  token: string;
  intents: number;
  botUserId: string;
  rest: REST;
  /** Called once per connection when guild messages arrive empty for lack of MESSAGE_CONTENT. */
  onMissingContentIntent(reason: string): Promise<void>;
  /** Records why the connection stopped for good (so `connectionTargets` leaves it alone). */
  onStop(reason: string): Promise<void>;
  /** Test hook: `@discordjs/ws` options (e.g. a no-wait identify throttler). */
  managerOptions?: Record<string, unknown>;
}

/** The reason naming the privileged intents to enable (close 4014). */
export function disallowedIntentsReason(intents: number): string {
  const named = PRIVILEGED_INTENTS.filter(([bit]) => intents & bit).map(([, name]) => name);
  return (
    'Discord closed the Gateway with 4014 (disallowed intents): enable ' +
    (named.length ? named.join(', ') : 'the privileged intents in config.intents') +
    ' under Bot → Privileged Gateway Intents in the Discord Developer Portal, or remove ' +
    (named.length > 1 ? 'them' : 'it') +
    ' from config.intents; then reconnect the instance'
  );
}

/**
 * One Discord Gateway connection (`@discordjs/ws` 2.x, one shard) for one bot, run by the
 * connection runtime under its lease. IDENTIFY carries the configured intents; after a drop the
 * library RESUMEs from a session store that belongs to this bot only (the library's default store
 * is process-global per shard id and would resume another bot's session: slack-discord.md §A3).
 * Close 4004 → `ConnectionStop` `needs_reauth`; 4014 → `ConnectionStop` `disconnected` naming the
 * privileged intents; 4010–4013 alike. Dispatches of DISCORD_INGESTED_EVENTS are normalized and
 * ingested one at a time, in order.
 */
export class DiscordGatewayConnection implements ProviderConnection {
  private readonly logger = new Logger(DiscordGatewayConnection.name);
  private missingContentNoted = false;

  /**
   * @param sessions session per shard of this bot, kept by the adapter per instance: it outlives
   *   this object (the runtime opens a new connection object for every attempt), so a restarted
   *   attempt in this process RESUMEs instead of identifying again.
   */
  constructor(
    private readonly target: DiscordGatewayTarget,
    private readonly sessions: Map<number, SessionInfo> = new Map(),
  ) {}

  async run(ctx: ConnectionContext): Promise<void> {
    const t = this.target;
    const manager = new WebSocketManager({
      token: t.token,
      intents: t.intents,
      rest: t.rest,
      shardCount: 1,
      retrieveSessionInfo: (shardId) => this.sessions.get(shardId) ?? null,
      updateSessionInfo: (shardId, info) => {
        if (info) this.sessions.set(shardId, info);
        else this.sessions.delete(shardId);
      },
      ...(t.managerOptions ?? {}),
    });
    let lastClose: number | undefined;
    let ingesting: Promise<void> = Promise.resolve();
    let failed: ((err: Error) => void) | undefined;
    const fail = (err: Error) => failed?.(err);

    manager.on(WebSocketShardEvents.Ready, (data: GatewayReadyDispatchData) => {
      ctx.report({
        state: 'connected',
        account: { botUserId: data.user.id, botUsername: data.user.username },
      });
    });
    manager.on(WebSocketShardEvents.Resumed, () => {
      ctx.report({ state: 'connected', account: { botUserId: t.botUserId, resumed: true } });
    });
    manager.on(WebSocketShardEvents.Closed, (code: number) => {
      lastClose = code;
      if (code === 4004 || code === 4014 || FATAL_CLOSE[code]) return; // the error event follows
      if (!ctx.signal.aborted) {
        ctx.report({
          state: 'disconnected',
          reason: `Discord Gateway closed (${code}); resuming`,
          willReconnect: true,
        });
      }
    });
    manager.on(WebSocketShardEvents.Error, (err: Error) => {
      fail(this.stopFor(lastClose, err));
    });
    manager.on(WebSocketShardEvents.Dispatch, (payload: GatewayDispatchPayload) => {
      if (!DISCORD_INGESTED_EVENTS.has(payload.t) && payload.t !== 'INTERACTION_CREATE') return;
      ingesting = ingesting.then(() => this.ingest(ctx, payload)).catch((err: Error) => fail(err));
    });

    ctx.report({ state: 'connecting' });
    try {
      await new Promise<void>((resolve, reject) => {
        failed = reject;
        if (ctx.signal.aborted) return resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        manager.connect().catch((err: Error) => reject(this.stopFor(lastClose, err)));
      });
    } finally {
      failed = undefined;
      await Promise.resolve(manager.destroy()).catch(() => undefined);
      await ingesting.catch(() => undefined);
      manager.removeAllListeners();
    }
  }

  /** The error `run` rejects with: a `ConnectionStop` when reconnecting cannot help. */
  private stopFor(code: number | undefined, err: Error): Error {
    const t = this.target;
    const status = (err as { status?: number }).status;
    let stop: ConnectionStop | undefined;
    if (code === 4004 || status === 401) {
      stop = new ConnectionStop(
        `Discord rejected the bot token (${code === 4004 ? 'Gateway close 4004 Authentication failed' : 'GET /gateway/bot 401'}); ` +
          'reset the token under Bot in the Developer Portal and create the instance again',
        'needs_reauth',
      );
    } else if (code === 4014) {
      stop = new ConnectionStop(disallowedIntentsReason(t.intents), 'disconnected');
    } else if (code !== undefined && FATAL_CLOSE[code]) {
      stop = new ConnectionStop(`Discord closed the Gateway: ${FATAL_CLOSE[code]}`, 'disconnected');
    }
    if (stop) {
      this.sessions.clear();
      void t
        .onStop(stop.reason)
        .catch((e: Error) =>
          this.logger.warn({ instanceId: t.instanceId, err: e.message }, 'could not record the Gateway stop'),
        );
      return stop;
    }
    return err;
  }

  private async ingest(ctx: ConnectionContext, payload: GatewayDispatchPayload): Promise<void> {
    const t = this.target;
    if (payload.t === 'INTERACTION_CREATE')
      return this.interaction(ctx, payload.d as unknown as DiscordInteraction);
    const { providerEventId, result } = normalizeDiscordDispatch(payload.t, payload.d, {
      botUserId: t.botUserId,
      intents: t.intents,
    });
    if (result.kind === 'skip' && result.reason === NO_CONTENT_INTENT_REASON && !this.missingContentNoted) {
      this.missingContentNoted = true;
      const reason =
        'Discord sends guild messages without content: enable Message Content Intent under Bot → ' +
        'Privileged Gateway Intents in the Developer Portal and add 32768 to config.intents';
      this.logger.warn({ instanceId: t.instanceId }, reason);
      await t.onMissingContentIntent(reason);
    }
    const item: InboundItem = {
      instance: { id: t.instanceId, provider: DISCORD },
      providerEventId,
      payload: payload as unknown as object,
      result,
    };
    await ctx.ingest([item]);
  }

  /**
   * Without an Interactions Endpoint URL, Discord sends interactions over the Gateway: stored like
   * the HTTP ones, then answered with a deferred response (`POST /interactions/:id/:token/callback`).
   */
  private async interaction(ctx: ConnectionContext, i: DiscordInteraction): Promise<void> {
    const t = this.target;
    if (i.type === InteractionType.PING || i.type === InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE)
      return;
    await ctx.ingest([
      {
        instance: { id: t.instanceId, provider: DISCORD },
        providerEventId: `INTERACTION_CREATE:${String(i.id)}`,
        payload: i as unknown as object,
        result: normalizeDiscordInteraction(i),
      },
    ]);
    const type =
      i.type === InteractionType.MESSAGE_COMPONENT
        ? InteractionResponse.DEFERRED_UPDATE_MESSAGE
        : InteractionResponse.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE;
    await t.rest
      .post(`/interactions/${i.id}/${i.token}/callback`, { body: { type }, auth: false })
      .catch((err: Error) =>
        this.logger.warn({ instanceId: t.instanceId, err: err.message }, 'interaction callback failed'),
      );
  }
}
