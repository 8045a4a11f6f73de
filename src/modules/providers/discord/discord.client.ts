import { Injectable } from '@nestjs/common';
import { DiscordAPIError, HTTPError, RateLimitError, REST } from '@discordjs/rest';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { ProviderError } from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { MediaDownload } from '../provider-adapter';

export const DISCORD = 'discord';

/** Retry-After when Discord gives none, seconds. */
const DEFAULT_RETRY_AFTER_S = 1;

/**
 * `errors` of a 50035 body, flattened to `{field, message}` (reference.mdx "Error Messages"):
 * `{content: {_errors: [{code, message}]}}` → `[{field: 'content', message}]`; nested paths are joined
 * with dots (`embeds.0.description`).
 */
export function flattenFormErrors(errors: unknown, prefix = ''): { field: string; message: string }[] {
  if (!errors || typeof errors !== 'object') return [];
  const out: { field: string; message: string }[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const e of value as { code?: string; message?: string }[]) {
        out.push({ field: prefix || 'body', message: e.message ?? e.code ?? 'invalid' });
      }
    } else {
      out.push(...flattenFormErrors(value, prefix ? `${prefix}.${key}` : key));
    }
  }
  return out;
}

/**
 * Maps a Discord REST failure to our error (PROVIDERS.md §6.1, opcodes-and-status-codes.mdx). The
 * problem body carries Discord's JSON `code` as `providerCode` and its `message` as `providerDescription`.
 * - 429 (`RateLimitError`, thrown at once: `rejectOnRateLimit`) → 429 `provider_rate_limited` +
 *   Retry-After (s, rounded up);
 * - HTTP 401 → 502 `provider_unauthorized` (the caller moves the instance to `needs_reauth`);
 * - 50007 → 422 `recipient_unreachable` (DMs closed, no shared server, or blocked);
 * - 50013 / 50001 → 422 `provider_permission_denied` naming the missing permission;
 * - 10003 → 400 `chat_not_found`; 10008 → 400 `message_not_found`; 10014 → 400 `unknown_emoji`;
 * - 50035 → 400 `provider_bad_request` with `errors: [{field, message}]` from Discord's form errors;
 * - other 4xx → 400 `provider_bad_request`; 5xx and network failures → 502 `provider_unavailable`.
 */
export function toDiscordError(err: unknown, context: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof RateLimitError) {
    const retry = Math.max(DEFAULT_RETRY_AFTER_S, Math.ceil(err.retryAfter / 1000));
    return new ProviderError(
      429,
      'provider_rate_limited',
      `Discord rate limit on ${err.route} (${err.scope}${err.global ? ', global' : ''}): retry after ${retry} s (${context})`,
      DISCORD,
      429,
      'You are being rate limited.',
      retry,
      { scope: err.scope, global: err.global },
    );
  }
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : err.status;
    const raw = err.rawError as { message?: string; errors?: unknown };
    const desc = raw?.message ?? err.message;
    const make = (status: number, ours: string, message: string, details: Record<string, unknown> = {}) =>
      new ProviderError(status, ours, message, DISCORD, code, desc, undefined, details);
    if (err.status === 401) {
      return make(
        502,
        'provider_unauthorized',
        `Discord rejected the bot token (401: ${desc}); the instance needs a new token (${context})`,
      );
    }
    switch (code) {
      case 50007:
        return make(
          422,
          'recipient_unreachable',
          'Discord cannot send messages to this user (50007): they closed DMs from server members, ' +
            'share no server with the bot, or blocked it',
        );
      case 50013:
      case 50001:
        return make(
          422,
          'provider_permission_denied',
          `Discord refused for lack of permission (${code} ${desc}): give the bot's role View Channel, ` +
            'Send Messages, Attach Files, Embed Links, Add Reactions and Read Message History in this channel',
        );
      case 10003:
        return make(400, 'chat_not_found', `Discord: unknown channel (10003); check \`to\` (${context})`, {
          errors: [{ field: 'to', message: 'unknown Discord channel' }],
        });
      case 10008:
        return make(400, 'message_not_found', `Discord: unknown message (10008) (${context})`);
      case 10014:
        return make(400, 'unknown_emoji', 'Discord: unknown emoji (10014)', {
          errors: [{ field: 'emoji', message: 'unknown to Discord' }],
        });
      case 50035: {
        const errors = flattenFormErrors(raw?.errors);
        const named = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
        return make(
          400,
          'provider_bad_request',
          `Discord: Invalid Form Body (50035)${named ? ` — ${named}` : ''}`,
          {
            errors,
          },
        );
      }
    }
    if (err.status >= 500) return make(502, 'provider_unavailable', `Discord failed: ${desc} (${context})`);
    return make(400, 'provider_bad_request', `Discord: ${desc} (${code}) (${context})`);
  }
  if (err instanceof HTTPError) {
    return new ProviderError(
      502,
      'provider_unavailable',
      `Discord failed with HTTP ${err.status} (${context})`,
      DISCORD,
      err.status,
      err.message,
    );
  }
  return new ProviderError(
    502,
    'provider_unavailable',
    `Discord is unreachable (${context})`,
    DISCORD,
    undefined,
    (err as Error)?.message,
  );
}

/**
 * `@discordjs/rest` clients per bot token, pointed at DISCORD_API_URL (a fake in tests and the
 * sandbox). Rate limits reject at once (`rejectOnRateLimit`: the library would otherwise sleep and
 * retry a 429 forever) so the caller gets our 429 with Retry-After; 5xx are retried once.
 */
@Injectable()
export class DiscordClient {
  private readonly clients = new Map<string, REST>();

  constructor(private readonly config: AppConfig) {}

  get apiUrl(): string {
    return this.config.discord.apiUrl;
  }

  /**
   * A REST client for `token` (shared per token, so its rate-limit buckets are too). The token is
   * set again on every use: `@discordjs/rest` drops it after any 401, and a later call with a
   * restored token (the bot was re-authorized) must not fail with "Expected token to be set".
   */
  rest(token: string): REST {
    let rest = this.clients.get(token);
    if (rest) {
      rest.setToken(token);
    } else {
      rest = new REST({
        api: this.apiUrl,
        version: '10',
        rejectOnRateLimit: () => true,
        retries: 1,
        timeout: 15_000,
      }).setToken(token);
      this.clients.set(token, rest);
    }
    return rest;
  }

  forget(token: string): void {
    this.clients.delete(token);
  }

  async call<T>(context: string, fn: () => Promise<unknown>): Promise<T> {
    try {
      return (await fn()) as T;
    } catch (err) {
      throw toDiscordError(err, context);
    }
  }

  /** Streams an attachment's CDN URL (attachment URLs are signed and fetched fresh by the caller). */
  async download(url: string, fileName?: string, size?: number): Promise<MediaDownload> {
    const res = await request(url, { method: 'GET' }).catch((err: Error) => {
      throw toDiscordError(err, 'attachment download');
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ProviderError(
        502,
        'provider_unavailable',
        `Discord's CDN answered ${res.statusCode} for the attachment`,
        DISCORD,
        res.statusCode,
        undefined,
      );
    }
    const len = res.headers['content-length'];
    return {
      stream: Readable.from(res.body),
      contentType: (res.headers['content-type'] as string | undefined) ?? 'application/octet-stream',
      size: len ? Number(len) : size,
      fileName,
    };
  }
}
