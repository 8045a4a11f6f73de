import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { Dispatcher } from 'undici';

/** What grammY passes to its `fetch` (ApiClient: JSON or multipart payload, abort signal, base config). */
interface GrammyInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable | null;
  signal?: AbortSignal;
}

/**
 * grammY's `fetch` (its `client.fetch` option) on undici's `request()`, over keep-alive
 * connections: grammY's default, node-fetch, built WHATWG request, header and body objects around
 * Node's http client for every Bot API call, about a tenth of a sync send's CPU (issue 11).
 * grammY reads only `json()` of the answer, for every status (Telegram's errors are JSON too);
 * a network failure rejects, and grammY turns it into an HttpError as before.
 */
export const telegramFetch = async (url: string | URL, init: GrammyInit = {}) => {
  const res = await request(url, {
    method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: init.headers,
    body: init.body ?? undefined,
    signal: init.signal,
  });
  return {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    json: () => res.body.json(),
  };
};
