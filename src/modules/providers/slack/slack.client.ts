import { Injectable } from '@nestjs/common';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import type { Logger as SlackLogger, WebAPICallError } from '@slack/web-api';
import { ProviderError } from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';

export const SLACK = 'slack';

/** Request timeout of one Web API call, ms. */
const CALL_TIMEOUT_MS = 30_000;
/** Retry-After given to our caller when Slack's 429 carried none (it always should), s. */
const DEFAULT_RETRY_AFTER_S = 30;

/** Slack error strings meaning the token no longer works: the instance needs new credentials. */
export const SLACK_AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'user_removed_from_team',
  'team_disabled',
  'not_allowed_token_type',
]);

/** The @slack/web-api logger, silenced: our own logs carry what matters (and never tokens). */
const quietLogger: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/**
 * One `@slack/web-api` WebClient per token, pointed at SLACK_API_URL (PROVIDERS.md §5.1).
 * Configured so that errors reach our caller at once: no retries inside the client
 * (`retryConfig.retries: 0`; the library's default retries for ~30 min) and a 429 rejected
 * immediately with its Retry-After (`rejectRateLimitedCalls`), see slack-discord.md C3.
 */
@Injectable()
export class SlackClient {
  private readonly clients = new Map<string, WebClient>();

  constructor(private readonly config: AppConfig) {}

  /** The Web API base, ending in `/` (e.g. `https://slack.com/api/`). */
  get apiUrl(): string {
    return this.config.slack.apiUrl;
  }

  web(token: string): WebClient {
    let client = this.clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: this.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: CALL_TIMEOUT_MS,
        logger: quietLogger,
        allowAbsoluteUrls: false,
      });
      this.clients.set(token, client);
    }
    return client;
  }

  forget(token: string): void {
    this.clients.delete(token);
  }

  /** Runs one Web API call, mapping its failure with {@link slackError}. */
  async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw slackError(err, method);
    }
  }
}

/** Slack's `{ok:false, error, needed?, provided?, response_metadata?}` body. */
interface SlackErrorBody {
  error?: string;
  needed?: string;
  provided?: string;
  response_metadata?: { messages?: string[] };
}

/**
 * Maps a Web API failure to our error (PROVIDERS.md §5.1; slack-discord.md C3). `providerCode` is
 * Slack's own error string (`channel_not_found`, …).
 * - 429 (`WebAPIRateLimitedError`) → 429 `provider_rate_limited` + Retry-After (s, Slack's header);
 * - invalid_auth, not_authed, token_revoked, token_expired, account_inactive, … → 502
 *   `provider_unauthorized` (the caller moves the instance to `needs_reauth`);
 * - channel_not_found / user_not_found → 404; not_in_channel → 422 "invite the bot";
 *   is_archived → 422; msg_too_long / no_text / invalid_blocks / … → 400 or 422; missing_scope →
 *   422 naming the scope; other `ok:false` → 400 `provider_bad_request`;
 * - transport failures and other HTTP statuses → 502 `provider_unavailable`.
 */
export function slackError(err: unknown, method: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as Partial<WebAPICallError> & { code?: string; message?: string };
  const make = (
    status: number,
    code: string,
    message: string,
    providerCode: string | number | undefined,
    retryAfter?: number,
  ) =>
    new ProviderError(status, code, message, SLACK, providerCode, e.message, retryAfter, {
      slackMethod: method,
    });
  if (e.code === ErrorCode.RateLimitedError) {
    const retry = 'retryAfter' in e && Number(e.retryAfter) > 0 ? Math.ceil(Number(e.retryAfter)) : 0;
    const seconds = retry || DEFAULT_RETRY_AFTER_S;
    return make(
      429,
      'provider_rate_limited',
      `Slack rate limit on ${method}: retry after ${seconds} s`,
      'ratelimited',
      seconds,
    );
  }
  if (e.code === ErrorCode.PlatformError) {
    const body = ((e as { data?: SlackErrorBody }).data ?? {}) as SlackErrorBody;
    const code = body.error ?? 'unknown_error';
    const extra = body.response_metadata?.messages?.length
      ? ` (${body.response_metadata.messages.join('; ')})`
      : '';
    const p = (status: number, ours: string, message: string) => make(status, ours, message, code);
    if (SLACK_AUTH_ERRORS.has(code)) {
      return p(
        502,
        'provider_unauthorized',
        `Slack rejected the bot token (${code} on ${method}); the instance needs a new token`,
      );
    }
    switch (code) {
      case 'ratelimited':
      case 'rate_limited':
        return make(
          429,
          'provider_rate_limited',
          `Slack rate limit on ${method}`,
          code,
          DEFAULT_RETRY_AFTER_S,
        );
      case 'channel_not_found':
        return p(
          404,
          'chat_not_found',
          `Slack: channel_not_found — the conversation does not exist or the bot cannot see it (${method})`,
        );
      case 'user_not_found':
      case 'users_not_found':
        return p(404, 'recipient_not_found', `Slack: ${code} — no such user in this workspace (${method})`);
      case 'not_in_channel':
        return p(
          422,
          'bot_not_in_channel',
          'Slack: not_in_channel — invite the bot to the channel first (/invite @your-bot in Slack)',
        );
      case 'is_archived':
        return p(422, 'channel_archived', 'Slack: is_archived — the channel is archived');
      case 'msg_too_long':
        return p(422, 'text_too_long', 'Slack: msg_too_long — the message text is too long');
      case 'no_text':
        return p(400, 'provider_bad_request', 'Slack: no_text — the message needs text');
      case 'cannot_dm_bot':
        return p(422, 'recipient_unreachable', 'Slack: cannot_dm_bot — a bot user cannot be messaged');
      case 'restricted_action':
      case 'restricted_action_read_only_channel':
      case 'restricted_action_thread_only_channel':
      case 'restricted_action_non_threadable_channel':
        return p(
          422,
          'provider_permission_denied',
          `Slack: ${code} — the workspace does not allow the bot to post here`,
        );
      case 'missing_scope':
        return p(
          422,
          'provider_missing_scope',
          `Slack: missing_scope — add the bot token scope ${body.needed ?? '(see Slack)'} in the app's ` +
            'OAuth & Permissions page and reinstall the app',
        );
      case 'message_not_found':
      case 'thread_not_found':
        return p(404, 'message_not_found', `Slack: ${code} (${method})`);
      case 'already_reacted':
        return p(409, 'already_reacted', 'Slack: already_reacted — the bot already added this reaction');
      case 'invalid_name':
        return p(422, 'invalid_emoji', 'Slack: invalid_name — Slack has no emoji by this name');
      case 'fatal_error':
      case 'internal_error':
      case 'request_timeout':
      case 'service_unavailable':
        return p(502, 'provider_unavailable', `Slack failed: ${code} (${method})`);
      default:
        return p(400, 'provider_bad_request', `Slack: ${code}${extra} (${method})`);
    }
  }
  if (e.code === ErrorCode.HTTPError) {
    const status = (e as { statusCode?: number }).statusCode;
    return make(
      502,
      'provider_unavailable',
      `Slack answered HTTP ${status} on ${method}`,
      status ?? undefined,
    );
  }
  return make(502, 'provider_unavailable', `Slack is unreachable (${method})`, undefined);
}
