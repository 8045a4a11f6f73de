import { graphError } from './graph.client';
import { FACEBOOK_MESSENGER } from '../facebook-messenger/facebook-messenger.normalizer';
import { INSTAGRAM } from '../instagram/instagram.adapter';
import { WHATSAPP_OFFICIAL } from '../whatsapp-official/whatsapp-official.normalizer';

const envelope = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: `(#${code}) x`, type: 'OAuthException', code, fbtrace_id: 'TRACE', ...extra },
});

/** The Graph error envelope → our status and code (PROVIDERS.md §2.2, §3.2). */
describe('graphError', () => {
  it.each([4, 17, 32, 613, 80007, 130429, 131056])('rate limit %i → 429 with Retry-After', (code) => {
    const e = graphError(WHATSAPP_OFFICIAL, 400, envelope(code), '30');
    expect([e.status, e.code, e.retryAfterSeconds, e.headers['Retry-After']]).toEqual([
      429,
      'provider_rate_limited',
      30,
      '30',
    ]);
  });

  it('keeps code, error_subcode, type, fbtrace_id and error_data.details', () => {
    const e = graphError(
      WHATSAPP_OFFICIAL,
      400,
      envelope(130429, {
        error_subcode: 2494055,
        error_data: { messaging_product: 'whatsapp', details: 'too many' },
      }),
    );
    expect(e.extra).toMatchObject({
      provider: WHATSAPP_OFFICIAL,
      providerCode: 130429,
      retryAfter: 60,
      graphError: {
        code: 130429,
        error_subcode: 2494055,
        type: 'OAuthException',
        fbtrace_id: 'TRACE',
        details: 'too many',
      },
    });
  });

  it.each([
    [190, undefined, 502, 'provider_unauthorized'],
    [0, undefined, 502, 'provider_unauthorized'],
    [131047, undefined, 422, 'outside_customer_service_window'],
    [131030, undefined, 422, 'recipient_not_allowed'],
    [100, 2018001, 422, 'recipient_not_found'],
    [551, undefined, 422, 'recipient_unavailable'],
    [131026, undefined, 422, 'recipient_undeliverable'],
    [10, 2018278, 422, 'outside_customer_service_window'],
    [200, undefined, 422, 'provider_permission_denied'],
    [100, 33, 400, 'provider_bad_request'],
    [131000, undefined, 502, 'provider_unavailable'],
  ])('code %i/%s → %i %s', (code, sub, status, ours) => {
    const e = graphError(FACEBOOK_MESSENGER, 400, envelope(code, sub ? { error_subcode: sub } : {}));
    expect([e.status, e.code, e.providerCode]).toEqual([status, ours, code]);
  });

  it('131047 tells the user to send a template', () => {
    expect(graphError(WHATSAPP_OFFICIAL, 400, envelope(131047)).message).toMatch(/template/);
  });

  it('a non-Graph 5xx or 429 body still maps', () => {
    expect(graphError(INSTAGRAM, 503, null).code).toBe('provider_unavailable');
    expect(graphError(INSTAGRAM, 429, 'busy').status).toBe(429);
  });
});
