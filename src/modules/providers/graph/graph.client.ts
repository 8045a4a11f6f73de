import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { FormData, request } from 'undici';
import { ProviderError, ValidationError } from '../../../common/errors/app-error';
import type { MediaDownload, RawProviderRequest } from '../provider-adapter';

/** A Graph path relative to the version: starts with `/`, no host, no `..`. */
const RAW_PATH = /^\/(?!.*\.\.)[A-Za-z0-9_.\-/]*$/;

/** Where and as whom one Graph call goes: host, version and the instance's token. */
export interface GraphTarget {
  /** Provider key the errors are reported under (`whatsapp-official`, ...). */
  provider: string;
  /** e.g. `https://graph.facebook.com` (no trailing slash). */
  baseUrl: string;
  /** e.g. `v23.0`. */
  version: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
}

export interface GraphRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path after the version, starting with `/`, e.g. `/106540352242922/messages`. */
  path: string;
  query?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `multipart/form-data`. */
  form?: FormData;
}

/** The Graph error envelope `{"error":{message,type,code,error_subcode?,error_data?,fbtrace_id}}`. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string } | string;
  fbtrace_id?: string;
}

/** Graph codes that are throughput / call-count limits (PROVIDERS.md §2.2, §3.2). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 130429, 131056]);
/** Graph codes of an invalid or expired token. */
const TOKEN_CODES = new Set([0, 190]);
/** Transient failures Meta asks to retry. */
const TRANSIENT_CODES = new Set([1, 2, 1200, 131000, 131016]);
/** Retry-After when Meta gives no header, seconds. */
const DEFAULT_RETRY_AFTER_S = 60;
/** Per-request timeouts, ms. */
const HEADERS_TIMEOUT_MS = 30_000;
const BODY_TIMEOUT_MS = 60_000;

/**
 * Maps a Graph API failure to our error (PROVIDERS.md §2.2 / §3.2; Meta's WhatsApp error-codes
 * and Messenger error-codes pages). The problem body always carries `providerCode` (= `error.code`)
 * and `graphError: {code, error_subcode, type, fbtrace_id, details}`.
 * - 4, 17, 32, 613, 80007, 130429, 131056 → 429 `provider_rate_limited` + Retry-After (s);
 * - 0, 190 → 502 `provider_unauthorized` (the caller moves the instance to `needs_reauth`);
 * - 131047 → 422 `outside_customer_service_window` (send a template);
 * - 131030, 100/2018001, 551, 131026, 10/2018278 → 422 naming the recipient problem;
 * - 10, 200–299 → 422 `provider_permission_denied`;
 * - other 4xx → 400 `provider_bad_request`; 1, 2, 1200, 131000, 131016 and 5xx → 502.
 */
export function graphError(
  provider: string,
  httpStatus: number,
  body: unknown,
  retryAfterHeader?: string,
): ProviderError {
  const e = ((body as { error?: GraphErrorBody } | null)?.error ?? {}) as GraphErrorBody;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const sub = e.error_subcode;
  const details = typeof e.error_data === 'object' ? e.error_data?.details : e.error_data;
  const desc = [e.message, details].filter(Boolean).join(' — ') || `HTTP ${httpStatus}`;
  const facts = {
    graphError: {
      code: code ?? null,
      error_subcode: sub ?? null,
      type: e.type ?? null,
      fbtrace_id: e.fbtrace_id ?? null,
      details: details ?? null,
    },
  };
  const make = (status: number, ourCode: string, message: string, retryAfter?: number) =>
    new ProviderError(status, ourCode, message, provider, code ?? httpStatus, desc, retryAfter, facts);

  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || (code === undefined && httpStatus === 429)) {
    const header = Number(retryAfterHeader);
    const retry = Number.isFinite(header) && header > 0 ? Math.ceil(header) : DEFAULT_RETRY_AFTER_S;
    return make(429, 'provider_rate_limited', `Meta rate limit (Graph code ${code}): ${desc}`, retry);
  }
  if (code !== undefined && TOKEN_CODES.has(code)) {
    return make(
      502,
      'provider_unauthorized',
      `Meta rejected the access token (Graph code ${code}): ${desc}; the instance needs a new token`,
    );
  }
  if (code === 131047) {
    return make(
      422,
      'outside_customer_service_window',
      'More than 24 hours have passed since the recipient last messaged you: ' +
        'only a template message (type "template") can be sent now',
    );
  }
  if (code === 131030) {
    return make(
      422,
      'recipient_not_allowed',
      'The recipient is not in the allowed list of this test phone number (Graph code 131030)',
    );
  }
  if (code === 100 && sub === 2018001) {
    return make(422, 'recipient_not_found', 'No matching user found for this recipient (Graph 100/2018001)');
  }
  if (code === 551) {
    return make(
      422,
      'recipient_unavailable',
      'This person is not available right now (blocked or unavailable, Graph code 551)',
    );
  }
  if (code === 131026) {
    return make(422, 'recipient_undeliverable', `The message cannot be delivered to this recipient: ${desc}`);
  }
  if (code === 10 && sub === 2018278) {
    return make(
      422,
      'outside_customer_service_window',
      'The message is outside the allowed messaging window; send it with a message tag',
    );
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    return make(422, 'provider_permission_denied', `Meta refused for lack of permission: ${desc}`);
  }
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || httpStatus >= 500) {
    return make(502, 'provider_unavailable', `Meta Graph API failed: ${desc}`);
  }
  if (httpStatus >= 400 && httpStatus < 500) return make(400, 'provider_bad_request', `Meta: ${desc}`);
  return make(502, 'provider_error', `Meta Graph API error: ${desc}`);
}

/**
 * The in-house Meta Graph API client on undici (PROVIDERS.md §0: no maintained SDK covers all three
 * Meta providers with a configurable host). Every call: `<baseUrl>/<version><path>` with
 * `Authorization: Bearer <token>`, JSON or multipart bodies, and failures mapped by {@link graphError}.
 */
@Injectable()
export class GraphClient {
  /**
   * @returns the parsed JSON body of a 2xx answer.
   * @throws ProviderError (see graphError); network failures → 502 `provider_unavailable`.
   */
  /**
   * The connectors' raw passthrough (`POST /api/instances/:id/provider/raw`): any Graph path of
   * this version with the instance's credentials; `defaultPath` when none is given. The path must
   * stay relative (no host, no `..`), so a caller cannot aim the instance token elsewhere.
   * @throws ValidationError naming `path`.
   */
  raw(target: GraphTarget, req: RawProviderRequest, defaultPath: string): Promise<Record<string, unknown>> {
    const path = req.path ?? defaultPath;
    if (!RAW_PATH.test(path)) {
      throw new ValidationError('path must be a Graph path relative to the version, e.g. /<id>/messages', [
        { field: 'path', message: 'relative path starting with /, no host and no ..' },
      ]);
    }
    const method = req.method ?? (req.body ? 'POST' : 'GET');
    return this.call(target, { method, path, ...(req.body && method === 'POST' ? { json: req.body } : {}) });
  }

  async call<T = Record<string, unknown>>(target: GraphTarget, req: GraphRequest): Promise<T> {
    const url = new URL(`${target.baseUrl}/${target.version}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}` };
    let body: string | FormData | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      body = req.form;
    }
    let res;
    try {
      res = await request(url, {
        method: req.method ?? (body ? 'POST' : 'GET'),
        headers,
        body,
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: BODY_TIMEOUT_MS,
      });
    } catch (err) {
      throw unreachable(target.provider, err);
    }
    const text = await res.body.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.statusCode >= 200 && res.statusCode < 300 && !(parsed as { error?: unknown })?.error) {
      return (parsed ?? {}) as T;
    }
    throw graphError(target.provider, res.statusCode, parsed, header(res.headers['retry-after']));
  }

  /**
   * Streams a file from an absolute URL Meta returned (e.g. a WhatsApp media `url`, valid 5 min),
   * sending the same Bearer token. @throws ProviderError when the answer is not 200.
   */
  async download(target: GraphTarget, fileUrl: string, fileName?: string): Promise<MediaDownload> {
    let res;
    try {
      res = await request(fileUrl, {
        method: 'GET',
        headers: { authorization: `Bearer ${target.token}` },
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: BODY_TIMEOUT_MS,
      });
    } catch (err) {
      throw unreachable(target.provider, err);
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      throw graphError(target.provider, res.statusCode, parsed);
    }
    const len = header(res.headers['content-length']);
    return {
      stream: Readable.from(res.body),
      contentType: header(res.headers['content-type']) ?? 'application/octet-stream',
      size: len ? Number(len) : undefined,
      fileName,
    };
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function unreachable(provider: string, err: unknown): ProviderError {
  return new ProviderError(
    502,
    'provider_unavailable',
    'Meta Graph API is unreachable',
    provider,
    undefined,
    (err as Error)?.message,
  );
}
