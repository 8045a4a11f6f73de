import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { AppConfig } from '../../config/app-config';
import { AddressPolicy } from './address-policy';
import { classifyHttpError, createGuardedAgent } from './guarded-agent';

/** Whole-fetch deadline (connect, headers and body), ms. */
export const MEDIA_FETCH_TIMEOUT_MS = 30_000;
/** Redirects followed (each hop is checked like the first URL). */
const MAX_REDIRECTS = 3;

/** Bytes fetched from a URL, with the type and name the server gave (same shape as an upload). */
export interface FetchedMedia {
  buffer: Buffer;
  /** The response's Content-Type, as sent (e.g. `audio/ogg; codecs=opus`); `application/octet-stream` when none (RFC 9110 §8.3). */
  mimeType: string;
  /** Last path segment of the final URL, URL-decoded; absent when the path ends in `/`. */
  fileName?: string;
}

/**
 * Why a media URL could not be fetched:
 * - `refused`: not http(s), or the host is (or resolves to) an address the SSRF policy blocks;
 * - `unreachable`: invalid URL, DNS failure, connection error, timeout, too many redirects;
 * - `http_status`: the server answered a non-2xx status (`status`);
 * - `too_large`: more than the caller's `maxBytes` (Content-Length or bytes read).
 */
export class MediaFetchError extends Error {
  constructor(
    readonly reason: 'refused' | 'unreachable' | 'http_status' | 'too_large',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MediaFetchError';
  }
}

/**
 * GETs media the gateway sends on a client's behalf (WhatsApp Web media by URL) under the
 * client-webhook SSRF policy (WEBHOOK_ALLOWED_NETWORKS opens networks; WEBHOOKS.md § SSRF):
 * the address dialled is the address checked (createGuardedAgent), so DNS rebinding between a
 * check and the fetch cannot reach loopback, private or link-local addresses; redirects are
 * followed up to 3 hops, each checked the same way; the body is cut at the caller's `maxBytes`;
 * the whole fetch has MEDIA_FETCH_TIMEOUT_MS.
 */
@Injectable()
export class MediaFetcher implements OnModuleDestroy {
  private readonly policy: AddressPolicy;
  private readonly agent: Agent;

  constructor(config: AppConfig) {
    this.policy = new AddressPolicy(config.webhooks.allowedNetworks);
    this.agent = createGuardedAgent(this.policy, {
      connectTimeout: 10_000,
      headersTimeout: MEDIA_FETCH_TIMEOUT_MS,
      bodyTimeout: MEDIA_FETCH_TIMEOUT_MS,
      keepAliveTimeout: 10_000,
      connections: 16,
    });
  }

  /**
   * @param maxBytes largest body accepted, bytes.
   * @throws MediaFetchError (never anything else) when the URL is refused, unreachable, answers a
   *   non-2xx status, or is larger than `maxBytes`.
   */
  async fetch(url: string, o: { maxBytes: number; timeoutMs?: number }): Promise<FetchedMedia> {
    const signal = AbortSignal.timeout(o.timeoutMs ?? MEDIA_FETCH_TIMEOUT_MS);
    let target = this.check(url);
    for (let hop = 0; ; hop++) {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(target, {
          method: 'GET',
          headers: { accept: '*/*' },
          dispatcher: this.agent,
          signal,
        });
      } catch (err) {
        throw this.failure(err, o.timeoutMs);
      }
      const status = res.statusCode;
      if (status >= 300 && status < 400 && res.headers.location) {
        discard(res.body);
        if (hop >= MAX_REDIRECTS)
          throw new MediaFetchError('unreachable', `redirected more than ${MAX_REDIRECTS} times`);
        target = this.check(resolveLocation(String(res.headers.location), target));
        continue;
      }
      if (status < 200 || status >= 300) {
        discard(res.body);
        throw new MediaFetchError('http_status', `answered HTTP ${status}`, status);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        discard(res.body);
        throw new MediaFetchError('too_large', `is ${declared} bytes, more than ${o.maxBytes}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          // leaving the loop destroys the body
          if (size > o.maxBytes) throw new MediaFetchError('too_large', `is more than ${o.maxBytes} bytes`);
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        if (err instanceof MediaFetchError) throw err;
        throw this.failure(err, o.timeoutMs);
      }
      const type = res.headers['content-type'];
      const name = lastSegment(target);
      return {
        buffer: Buffer.concat(chunks, size),
        mimeType: (typeof type === 'string' && type.trim()) || 'application/octet-stream',
        ...(name ? { fileName: name } : {}),
      };
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /** http(s) and no blocked literal address (names are checked when dialled). */
  private check(url: string): URL {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new MediaFetchError('unreachable', 'is not a valid URL');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new MediaFetchError('refused', `protocol ${target.protocol} is not allowed`);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.policy.isAllowed(host))
      throw new MediaFetchError('refused', `points at a blocked address (${host})`);
    return target;
  }

  private failure(err: unknown, timeoutMs?: number): MediaFetchError {
    const f = classifyHttpError(err);
    if (f.error === 'blocked_address') return new MediaFetchError('refused', f.errorDetail);
    if (f.error === 'timeout')
      return new MediaFetchError(
        'unreachable',
        `did not answer within ${(timeoutMs ?? MEDIA_FETCH_TIMEOUT_MS) / 1000} s`,
      );
    return new MediaFetchError('unreachable', `could not be reached (${f.errorDetail})`);
  }
}

function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).toString();
  } catch {
    throw new MediaFetchError('unreachable', 'redirected to an invalid URL');
  }
}

/** Drops a body we do not read (a short one is drained so the connection can be reused). */
function discard(body: { dump(o?: { limit: number }): Promise<void> }): void {
  body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

function lastSegment(url: URL): string | undefined {
  const last = url.pathname.split('/').pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
