import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { AppConfig } from '../../config/app-config';
import { AddressPolicy, urlRefusal } from './address-policy';
import { classifyHttpError, createGuardedAgent } from './guarded-agent';

/** Outcome of one outbound attempt. durationMs: ms; snippet: first ≤ 4 KiB of the response body. */
export interface HttpAttemptResult {
  ok: boolean;
  statusCode: number | null;
  headers: Record<string, string | string[] | undefined>;
  durationMs: number;
  /** Error class when not ok: `blocked_address`, `invalid_url`, `timeout`, `connect_error`, `redirect`, `http_<code>`. */
  error: string | null;
  errorDetail: string | null;
  snippet: string | null;
}

const SNIPPET_BYTES = 4096;

/**
 * SSRF-safe POST for client webhooks (WEBHOOKS.md § SSRF and transport): http/https only; the
 * address actually dialled is checked after DNS (a hostname with any blocked address is refused);
 * redirects are never followed (a 3xx is a failure); connect / headers / total timeouts; at most
 * 4 KiB of the response is read.
 */
@Injectable()
export class WebhookHttpClient implements OnModuleDestroy {
  private readonly policy: AddressPolicy;
  private readonly agent: Agent;

  constructor(private readonly config: AppConfig) {
    this.policy = new AddressPolicy(config.webhooks.allowedNetworks);
    // the address actually dialled is the one checked (createGuardedAgent), so DNS changes cannot get around it
    this.agent = createGuardedAgent(this.policy, {
      connectTimeout: Math.min(5000, config.webhooks.timeoutMs),
      headersTimeout: config.webhooks.timeoutMs,
      bodyTimeout: config.webhooks.timeoutMs,
      keepAliveTimeout: 10_000,
      connections: 64,
    });
  }

  /**
   * Save-time check of a webhook URL: http(s) only, and no address the sender would refuse to
   * dial (literal IPs, and every address the hostname resolves to now). The same check runs again
   * at connect time for every delivery, so a later DNS change cannot get around it.
   * @returns why the URL is refused, or null when it is acceptable (or its name does not resolve yet).
   */
  async refusal(url: string): Promise<string | null> {
    return urlRefusal(url, this.policy);
  }

  async post(url: string, body: string, headers: Record<string, string>): Promise<HttpAttemptResult> {
    const started = performance.now();
    const done = (r: Partial<HttpAttemptResult>): HttpAttemptResult => ({
      ok: false,
      statusCode: null,
      headers: {},
      error: null,
      errorDetail: null,
      snippet: null,
      ...r,
      durationMs: Math.round(performance.now() - started),
    });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ error: 'invalid_url', errorDetail: 'not a valid URL' });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return done({ error: 'invalid_url', errorDetail: `protocol ${target.protocol} is not allowed` });
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !this.policy.isAllowed(literal)) {
      return done({ error: 'blocked_address', errorDetail: `${literal} is a blocked address` });
    }
    try {
      const res = await request(target, {
        method: 'POST',
        body,
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      const snippet = await readSnippet(res.body);
      const status = res.statusCode;
      const ok = status >= 200 && status < 300;
      return done({
        ok,
        statusCode: status,
        headers: res.headers,
        snippet,
        error: ok ? null : status >= 300 && status < 400 ? 'redirect' : `http_${status}`,
        errorDetail: ok
          ? null
          : status >= 300 && status < 400
            ? `redirect to ${res.headers.location ?? '?'} not followed`
            : null,
      });
    } catch (err) {
      return done(classifyHttpError(err));
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}

async function readSnippet(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SNIPPET_BYTES) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
}
