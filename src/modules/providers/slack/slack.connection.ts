import { Logger } from '@nestjs/common';
import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import type { Logger as SlackLogger } from '@slack/socket-mode';
import { ConnectionStop } from '../provider-seams';
import type { ConnectionContext, ProviderConnection } from '../provider-seams';
import type { SlackAdapter } from './slack.adapter';
import { SLACK_AUTH_ERRORS, slackError } from './slack.client';

/**
 * Client → server WebSocket ping interval base, ms: the library pings every third of it and
 * drops the socket after 3 unanswered pings (slack-discord.md C2). Env-free on purpose; tests
 * shorten it through {@link SlackSocketConnection.clientPingTimeoutMs}.
 */
const CLIENT_PING_TIMEOUT_MS = 5000;

const quiet: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/**
 * One Socket Mode socket for one Slack app (PROVIDERS.md §5.2; slack-discord.md C2), held by the
 * connection runtime in one worker at a time. `apps.connections.open` (app token) gives the
 * `wss://` URL, taken from SLACK_API_URL's host. Each `events_api` envelope is normalized, stored
 * through `ctx.ingest` and acked only after the commit (an unacked envelope is redelivered by
 * Slack). A `disconnect` frame (`refresh_requested`, `warning`, …) reconnects at once with a new
 * URL; any other close rejects `run`, so the runtime reconnects with backoff. A rejected app token
 * (invalid_auth, token_revoked, …) ends with ConnectionStop → `needs_reauth`.
 *
 * The library's own reconnect is off: on a fatal error during its reconnect it rejects a promise
 * nobody awaits (SocketModeClient.delayReconnectAttempt), and the runtime already owns backoff.
 */
export class SlackSocketConnection implements ProviderConnection {
  /** See {@link CLIENT_PING_TIMEOUT_MS}; tests lower it. */
  static clientPingTimeoutMs = CLIENT_PING_TIMEOUT_MS;
  private readonly logger = new Logger(SlackSocketConnection.name);

  constructor(
    private readonly instanceId: string,
    private readonly adapter: SlackAdapter,
    private readonly apiUrl: string,
  ) {}

  async run(ctx: ConnectionContext): Promise<void> {
    const creds = await this.adapter.load(this.instanceId);
    if (!creds.appToken)
      throw new ConnectionStop('Socket Mode needs an app-level token (config.appToken)', 'needs_reauth');
    while (!ctx.signal.aborted) {
      const outcome = await this.once(ctx, creds.appToken, creds);
      if (outcome.kind === 'aborted') return;
      if (outcome.kind === 'refresh') {
        ctx.report({
          state: 'disconnected',
          reason: `slack disconnect: ${outcome.reason}`,
          willReconnect: true,
        });
        continue; // Slack asked for a new socket: reconnect at once
      }
      throw new Error(`Slack socket closed: ${outcome.reason}`);
    }
  }

  /** One socket's life: resolves with why it ended. */
  private async once(
    ctx: ConnectionContext,
    appToken: string,
    creds: Awaited<ReturnType<SlackAdapter['load']>>,
  ): Promise<{ kind: 'aborted' } | { kind: 'refresh'; reason: string } | { kind: 'closed'; reason: string }> {
    const client = new SocketModeClient({
      appToken,
      logger: quiet,
      autoReconnectEnabled: false,
      clientPingTimeout: SlackSocketConnection.clientPingTimeoutMs,
      clientOptions: { slackApiUrl: this.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
    });
    let disconnectReason: string | null = null;
    client.on('ws_message', (data: unknown, isBinary: boolean) => {
      if (isBinary) return;
      try {
        const frame = JSON.parse(
          typeof data === 'string' ? data : Buffer.from(data as Buffer).toString('utf8'),
        );
        if (frame?.type === 'disconnect') disconnectReason = String(frame.reason ?? 'unknown');
      } catch {
        /* the client logs and ignores what is not JSON */
      }
    });
    client.on('error', (err: Error) =>
      this.logger.warn({ instanceId: this.instanceId, err: err.message }, 'slack socket error'),
    );
    client.on(
      'slack_event',
      (e: {
        ack: () => Promise<void>;
        type: string;
        body: unknown;
        envelope_id: string;
        retry_num?: number;
      }) => {
        void this.handle(ctx, creds, e);
      },
    );
    const closed = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
    const onAbort = () => void client.disconnect().catch(() => undefined);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      ctx.report({ state: 'connecting' });
      try {
        await client.start();
      } catch (err) {
        if (ctx.signal.aborted) return { kind: 'aborted' };
        const mapped = slackError(err, 'apps.connections.open');
        if (typeof mapped.providerCode === 'string' && SLACK_AUTH_ERRORS.has(mapped.providerCode)) {
          throw new ConnectionStop(
            `Slack rejected the app-level token (${mapped.providerCode})`,
            'needs_reauth',
          );
        }
        throw mapped;
      }
      ctx.report({ state: 'connected', account: { slackTransport: 'socket_mode' } });
      await closed;
      if (ctx.signal.aborted) return { kind: 'aborted' };
      return disconnectReason
        ? { kind: 'refresh', reason: disconnectReason }
        : { kind: 'closed', reason: 'socket closed' };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      client.removeAllListeners('slack_event');
      await client.disconnect().catch(() => undefined);
    }
  }

  /** Stores an `events_api` envelope, then acks it; other envelope types are acked at once. */
  private async handle(
    ctx: ConnectionContext,
    creds: Awaited<ReturnType<SlackAdapter['load']>>,
    e: { ack: () => Promise<void>; type: string; body: unknown; envelope_id: string; retry_num?: number },
  ): Promise<void> {
    try {
      if (e.type === 'events_api') {
        const items = await this.adapter.itemsFor(creds, e.body);
        await ctx.ingest(items);
      }
      await e.ack();
    } catch (err) {
      // not acked: Slack redelivers the envelope (retry_attempt + 1), deduped by event_id
      this.logger.warn(
        { instanceId: this.instanceId, envelopeId: e.envelope_id, err: (err as Error).message },
        'slack envelope not stored; left unacked for redelivery',
      );
    }
  }
}
