import { ErrorCode } from '@slack/web-api';
import { slackError } from './slack.client';

const platform = (error: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`An API error occurred: ${error}`), {
    code: ErrorCode.PlatformError,
    data: { ok: false, error, ...extra },
  });

describe('slackError', () => {
  it.each([
    ['channel_not_found', 404, 'chat_not_found'],
    ['not_in_channel', 422, 'bot_not_in_channel'],
    ['is_archived', 422, 'channel_archived'],
    ['msg_too_long', 422, 'text_too_long'],
    ['invalid_auth', 502, 'provider_unauthorized'],
    ['token_revoked', 502, 'provider_unauthorized'],
    ['account_inactive', 502, 'provider_unauthorized'],
    ['internal_error', 502, 'provider_unavailable'],
    ['invalid_blocks', 400, 'provider_bad_request'],
  ])('%s → %i %s, Slack’s code kept', (code, status, ours) => {
    const e = slackError(platform(code), 'chat.postMessage');
    expect({ status: e.status, code: e.code, providerCode: e.providerCode, provider: e.provider }).toEqual({
      status,
      code: ours,
      providerCode: code,
      provider: 'slack',
    });
  });

  it('names the missing scope', () => {
    const e = slackError(platform('missing_scope', { needed: 'reactions:write' }), 'reactions.add');
    expect(e.message).toContain('reactions:write');
  });

  it('a rate limit → 429 with the Retry-After header value', () => {
    const e = slackError(
      Object.assign(new Error('rate limited'), { code: ErrorCode.RateLimitedError, retryAfter: 12 }),
      'chat.postMessage',
    );
    expect(e.status).toBe(429);
    expect(e.headers).toEqual({ 'Retry-After': '12' });
  });

  it('HTTP and transport failures → 502 provider_unavailable', () => {
    const http = slackError(
      Object.assign(new Error('HTTP 503'), { code: ErrorCode.HTTPError, statusCode: 503 }),
      'auth.test',
    );
    expect({ status: http.status, code: http.code, providerCode: http.providerCode }).toEqual({
      status: 502,
      code: 'provider_unavailable',
      providerCode: 503,
    });
    expect(slackError(new Error('ECONNREFUSED'), 'auth.test').code).toBe('provider_unavailable');
  });
});
