import { envelopeBytes, payloadTooLarge } from './payload-size';
import { toEnvelope } from './events.service';

describe('envelopeBytes', () => {
  it('is an upper bound of the real envelope, within a few bytes', () => {
    const data = { text: 'héllo ✓', n: [1, 2, 3], nested: { a: null } };
    const env = toEnvelope(
      {
        id: '3f0c1e9a-1111-2222-3333-444455556666',
        type: 'message_received',
        instanceId: '8d5e0000-1111-2222-3333-444455556666',
        sequence: '123456789012',
        payload: data,
        createdAt: new Date('2026-11-21T12:00:00Z'),
      },
      'some-provider',
    );
    const real = Buffer.byteLength(JSON.stringify(env));
    const bound = envelopeBytes(
      'message_received',
      '8d5e0000-1111-2222-3333-444455556666',
      'some-provider',
      JSON.stringify(data),
    );
    expect(bound).toBeGreaterThanOrEqual(real);
    expect(bound - real).toBeLessThan(16);
  });
});

describe('payloadTooLarge', () => {
  it('names the size and the limit only when over', () => {
    expect(payloadTooLarge(300_000, 262_144)).toBe('payload_too_large: 300000 bytes > 262144');
    expect(payloadTooLarge(262_144, 262_144)).toBeNull();
  });
});
