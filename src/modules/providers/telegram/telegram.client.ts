import { Injectable } from '@nestjs/common';
import { Api, GrammyError, HttpError } from 'grammy';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { ProviderError } from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { MediaDownload } from '../provider-adapter';
import { telegramFetch } from './telegram-fetch';

export const TELEGRAM = 'telegram';

/**
 * Maps a Telegram Bot API failure to our error (PROVIDERS.md §1.2): 429 → 429 with
 * Retry-After = parameters.retry_after; 403 (blocked / kicked / deactivated) → 422 naming the
 * problem; 400 → 400 with Telegram's description; 401 → 502 (the stored token no longer works);
 * network errors and 5xx → 502. The body always carries Telegram's `error_code` and `description`.
 */
export function toProviderError(err: unknown, context: string): ProviderError {
  if (err instanceof GrammyError) {
    const code = err.error_code;
    const desc = err.description;
    if (code === 429) {
      const retry = err.parameters?.retry_after ?? 1;
      return new ProviderError(
        429,
        'provider_rate_limited',
        `Telegram rate limit: retry after ${retry} s (${context})`,
        TELEGRAM,
        code,
        desc,
        retry,
      );
    }
    if (code === 403) {
      const blocked = /blocked/i.test(desc);
      return new ProviderError(
        422,
        blocked ? 'recipient_blocked_bot' : 'recipient_unreachable',
        blocked ? `The recipient has blocked the bot (Telegram: ${desc})` : `Telegram refused: ${desc}`,
        TELEGRAM,
        code,
        desc,
      );
    }
    if (code === 401) {
      return new ProviderError(
        502,
        'provider_unauthorized',
        `Telegram rejected the bot token (${desc})`,
        TELEGRAM,
        code,
        desc,
      );
    }
    if (code === 400)
      return new ProviderError(400, 'provider_bad_request', `Telegram: ${desc}`, TELEGRAM, code, desc);
    if (code === 409)
      return new ProviderError(409, 'provider_conflict', `Telegram: ${desc}`, TELEGRAM, code, desc);
    return new ProviderError(502, 'provider_error', `Telegram error ${code}: ${desc}`, TELEGRAM, code, desc);
  }
  if (err instanceof HttpError) {
    return new ProviderError(
      502,
      'provider_unavailable',
      `Telegram is unreachable (${context})`,
      TELEGRAM,
      undefined,
      err.message,
    );
  }
  if (err instanceof ProviderError) return err;
  return new ProviderError(
    502,
    'provider_error',
    `Telegram call failed (${context})`,
    TELEGRAM,
    undefined,
    (err as Error)?.message,
  );
}

/**
 * grammY `Api` per bot token, pointed at TELEGRAM_API_ROOT (a fake in tests and the sandbox), its
 * calls made with undici (telegramFetch).
 * Call sites wrap calls in `call()` so every failure becomes a ProviderError.
 */
@Injectable()
export class TelegramClient {
  private readonly apis = new Map<string, Api>();

  constructor(private readonly config: AppConfig) {}

  get apiRoot(): string {
    return this.config.telegram.apiRoot;
  }

  api(token: string): Api {
    let api = this.apis.get(token);
    if (!api) {
      api = new Api(token, {
        apiRoot: this.apiRoot,
        timeoutSeconds: 60,
        fetch: telegramFetch as unknown as typeof fetch,
      });
      this.apis.set(token, api);
    }
    return api;
  }

  forget(token: string): void {
    this.apis.delete(token);
  }

  async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toProviderError(err, context);
    }
  }

  /** getFile → GET {apiRoot}/file/bot<token>/<file_path> streamed (bots can download ≤ 20 MB). */
  async download(token: string, fileId: string): Promise<MediaDownload> {
    const file = await this.call('getFile', () => this.api(token).getFile(fileId));
    if (!file.file_path) {
      throw new ProviderError(
        502,
        'provider_error',
        'Telegram returned no file_path for this file',
        TELEGRAM,
        undefined,
        undefined,
      );
    }
    const res = await request(`${this.apiRoot}/file/bot${token}/${file.file_path}`, { method: 'GET' }).catch(
      (err) => {
        throw toProviderError(new HttpError('file download failed', err), 'file download');
      },
    );
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ProviderError(
        502,
        'provider_error',
        `Telegram file download answered ${res.statusCode}`,
        TELEGRAM,
        res.statusCode,
        undefined,
      );
    }
    const len = res.headers['content-length'];
    return {
      stream: Readable.from(res.body),
      contentType: (res.headers['content-type'] as string | undefined) ?? 'application/octet-stream',
      size: len ? Number(len) : file.file_size,
      fileName: file.file_path.split('/').pop(),
    };
  }
}
