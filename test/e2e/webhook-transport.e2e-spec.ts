import { request } from 'undici';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '330401765:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDssrf';

/**
 * Outbound safety with the allow-list OFF (as in production): webhook URLs that point at
 * internal addresses are refused when saved and never dialled at delivery time. Also the SSE feed.
 * Nothing here sends traffic anywhere but 127.0.0.1: blocked addresses are refused before connecting.
 */
describe('client webhook transport: SSRF refusal and the SSE stream (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let instanceId: string;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT);
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      TELEGRAM_API_ROOT: tg.apiRoot,
      WEBHOOK_ALLOWED_NETWORKS: '',
      PUBLIC_BASE_URL: undefined,
    });
    alice = await createTenant(t);
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: 'ssrf',
        config: { botToken: BOT },
        retryInterval: 100,
      })
      .expect(201);
    instanceId = res.body.id;
  });

  afterAll(async () => {
    await t.close();
    await tg.stop();
    await receiver.stop();
  });

  it.each([
    ['loopback', 'http://127.0.0.1:9/hook'],
    ['private 10/8', 'http://10.0.0.1/hook'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback', 'http://[::1]:9/hook'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:9/hook'],
    ['a hostname resolving to loopback', 'http://localhost:9/hook'],
  ])('refuses a webhook URL pointing at %s when saved', async (_label, url) => {
    const created = await alice
      .post('/api/instances')
      .send({ provider: 'telegram', name: 'x', config: { botToken: BOT }, webhookUrl: url })
      .expect(400);
    expect(created.body.errors).toEqual([
      expect.objectContaining({ field: 'webhookUrl', message: expect.stringMatching(/blocked address/) }),
    ]);
    const updated = await alice.put(`/api/instances/${instanceId}`).send({ webhookUrl: url }).expect(400);
    expect(updated.body.errors[0].field).toBe('webhookUrl');
    const [row] = await t.db.query('SELECT webhook_url FROM instances WHERE id = $1', [instanceId]);
    expect(row.webhook_url).toBeNull();
  });

  it.each([
    ['a literal loopback address', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['a hostname that resolves to loopback', (port: number) => `http://localhost:${port}/hook`],
  ])(
    'never dials %s at delivery time: the delivery is dead with a clear error, not retried',
    async (_label, makeUrl) => {
      // as if the URL had been saved under another policy, or its DNS changed after saving
      await t.db.query('UPDATE instances SET webhook_url = $2, webhook_enabled = true WHERE id = $1', [
        instanceId,
        makeUrl(receiver.port),
      ]);
      const sent = await alice
        .post(`/api/instances/${instanceId}/messages`)
        .send({ to: '4242', type: 'text', text: `ssrf ${makeUrl(0)}` })
        .expect(201);
      const [delivery] = await eventually(
        () =>
          t.db
            .query(
              `SELECT d.* FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              WHERE e.payload->>'messageId' = $1 AND d.status = 'dead'`,
              [sent.body.id],
            )
            .then((r) => (r.length ? r : null)),
        10_000,
        'the delivery to be dead',
      );
      expect(delivery).toMatchObject({ attempts: 1, last_status_code: null });
      expect(delivery.last_error).toMatch(/^blocked_address: .*(127\.0\.0\.1|::1)/);
      const attempts = await t.db.query(
        'SELECT error FROM webhook_delivery_attempts WHERE delivery_id = $1',
        [delivery.id],
      );
      expect(attempts).toEqual([{ error: 'blocked_address' }]);
      expect(receiver.requests).toHaveLength(0);
    },
  );

  it('streams events over SSE within a second of their creation', async () => {
    const res = await request(`${t.baseUrl}/api/instances/${instanceId}/events/stream?types=message_sent`, {
      headers: { 'x-api-key': alice.apiKey, accept: 'text/event-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const frames: { at: number; text: string }[] = [];
    res.body.on('data', (chunk: Buffer) => frames.push({ at: Date.now(), text: chunk.toString('utf8') }));
    await new Promise((r) => setTimeout(r, 300)); // the stream starts after the current last event
    await alice.put(`/api/instances/${instanceId}`).send({ notifyRead: true }).expect(200);
    const sent = await alice
      .post(`/api/instances/${instanceId}/messages`)
      .send({ to: '4242', type: 'text', text: 'live' })
      .expect(201);
    const [event] = await t.db.query(
      "SELECT sequence, created_at FROM events WHERE type = 'message_sent' AND payload->>'messageId' = $1",
      [sent.body.id],
    );
    const frame = await eventually(
      async () => frames.find((f) => f.text.includes(sent.body.id)),
      3000,
      'the SSE frame',
    );
    expect(frame.at - new Date(event.created_at).getTime()).toBeLessThan(1000);
    expect(frame.text).toContain(`id: ${event.sequence}`);
    expect(frame.text).toContain('event: message_sent');
    const data = JSON.parse(/data: (.*)/.exec(frame.text)![1]);
    expect(data).toMatchObject({
      event: 'message_sent',
      instanceId,
      provider: 'telegram',
      sequence: Number(event.sequence),
      data: { messageId: sent.body.id, text: 'live' },
    });
    // types filter: the webhook_updated event recorded by the PUT above never reached this stream
    expect(frames.some((f) => f.text.includes('webhook_updated'))).toBe(false);
    res.body.destroy();
  });

  it('keeps the stream to the instance owner (404) and needs credentials (401)', async () => {
    const bob = await createTenant(t);
    const other = await request(`${t.baseUrl}/api/instances/${instanceId}/events/stream`, {
      headers: { 'x-api-key': bob.apiKey },
    });
    expect(other.statusCode).toBe(404);
    expect(JSON.parse(await other.body.text())).toMatchObject({ code: 'not_found' });
    const anon = await request(`${t.baseUrl}/api/instances/${instanceId}/events/stream`);
    expect(anon.statusCode).toBe(401);
    await anon.body.dump();
  });
});
