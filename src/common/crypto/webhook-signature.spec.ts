import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { seedsSignature, standardWebhooksSignature } from './webhook-signature';

describe('webhook signatures', () => {
  // Vectors from WEBHOOKS.md (the Standard Webhooks libraries' own tests).
  it('reproduces Standard Webhooks vector A byte for byte', () => {
    expect(
      standardWebhooksSignature(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('reproduces Standard Webhooks vector B byte for byte', () => {
    expect(
      standardWebhooksSignature(
        'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
        'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
        1649367553,
        '{"email":"test@example.com","username":"test_user"}',
      ),
    ).toBe('v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=');
  });

  it('is accepted by the official standardwebhooks verifier for a whsec_ secret', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"event":"message_received"}';
    const headers = {
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': standardWebhooksSignature(secret, 'evt_1', ts, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ event: 'message_received' });
  });

  it('uses the UTF-8 bytes of a plain secret as the key', () => {
    const plain = 'optional-secret-key';
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"a":1}';
    const sig = standardWebhooksSignature(plain, 'evt_2', ts, body);
    const headers = { 'webhook-id': 'evt_2', 'webhook-timestamp': String(ts), 'webhook-signature': sig };
    expect(new Webhook(`whsec_${Buffer.from(plain).toString('base64')}`).verify(body, headers)).toEqual({
      a: 1,
    });
  });

  it('computes the seeds hex HMAC over the raw body', () => {
    const body = '{"event":"message_sent","data":{"text":"Привет"}}';
    expect(seedsSignature('s3cret', body)).toBe(
      createHmac('sha256', 's3cret').update(body, 'utf8').digest('hex'),
    );
    expect(seedsSignature('s3cret', body)).toMatch(/^[0-9a-f]{64}$/);
  });
});
