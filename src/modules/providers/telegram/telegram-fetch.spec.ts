import { Api, GrammyError, HttpError } from 'grammy';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { telegramFetch } from './telegram-fetch';
import { toProviderError } from './telegram.client';

/** A Bot API stand-in answering every call with `answer(method, body)`; records what it received. */
async function botApi(answer: (method: string, body: unknown) => [number, unknown]) {
  const calls: { method: string; contentType?: string; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = String(req.url).split('/').pop()!;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      calls.push({ method, contentType: req.headers['content-type'], body });
      const [status, json] = answer(method, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, apiRoot, close: () => new Promise((r) => server.close(r)) };
}

const api = (apiRoot: string) =>
  new Api('123:ABC', { apiRoot, timeoutSeconds: 5, fetch: telegramFetch as unknown as typeof fetch });

describe('telegramFetch (grammY on undici)', () => {
  it('sends the JSON payload and returns the result', async () => {
    const bot = await botApi(() => [200, { ok: true, result: { message_id: 7, date: 1, chat: { id: 42 } } }]);
    const sent = await api(bot.apiRoot).sendMessage(42, 'hi');
    await bot.close();
    expect(sent).toMatchObject({ message_id: 7 });
    expect(bot.calls).toEqual([
      { method: 'sendMessage', contentType: 'application/json', body: { chat_id: 42, text: 'hi' } },
    ]);
  });

  it("turns Telegram's JSON errors into GrammyError, with their code and parameters", async () => {
    const bot = await botApi(() => [
      429,
      {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    ]);
    const err = await api(bot.apiRoot)
      .sendMessage(42, 'hi')
      .catch((e: unknown) => e);
    await bot.close();
    expect(err).toBeInstanceOf(GrammyError);
    expect(toProviderError(err, 'sendMessage')).toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      retryAfterSeconds: 3,
    });
  });

  it('turns an unreachable Bot API into HttpError (provider_unavailable)', async () => {
    const bot = await botApi(() => [200, {}]);
    await bot.close();
    const err = await api(bot.apiRoot)
      .getMe()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(toProviderError(err, 'getMe')).toMatchObject({ status: 502, code: 'provider_unavailable' });
  });

  it('turns an answer that is not JSON into HttpError', async () => {
    const server = http.createServer((_req, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const err = await api(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
      .getMe()
      .catch((e: unknown) => e);
    await new Promise((r) => server.close(r));
    expect(err).toBeInstanceOf(HttpError);
  });
});
