import { Webhook } from 'standardwebhooks';
import { webhookSignatureHeader } from './signature-header';

const NEW = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

describe('webhookSignatureHeader', () => {
  it('matches Standard Webhooks vector A for one secret', () => {
    expect(
      webhookSignatureHeader([NEW, null], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('carries both signatures during a rotation, and the official verifier accepts either secret', () => {
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"event":"webhook_test"}';
    const header = webhookSignatureHeader([NEW, OLD], 'evt_1', ts, body);
    expect(header.split(' ')).toHaveLength(2);
    expect(header.split(' ')[0]).toBe(webhookSignatureHeader([NEW], 'evt_1', ts, body));
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': header };
    expect(new Webhook(NEW).verify(body, headers)).toEqual({ event: 'webhook_test' });
    expect(new Webhook(OLD).verify(body, headers)).toEqual({ event: 'webhook_test' });
    const onlyNew = { ...headers, 'webhook-signature': webhookSignatureHeader([NEW], 'evt_1', ts, body) };
    expect(() => new Webhook(OLD).verify(body, onlyNew)).toThrow();
  });
});
