import { Client } from 'pg';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';
import { UsageService } from '../../src/modules/usage/usage.service';

const BOT = '220301654:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsbx';
const LIMITED_BOT = '330401765:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDscy';
const SECRET = 'whsec_StatsStatsStatsStatsStats12';

/**
 * Usage counters, the stats API and daily limits against the fake Bot API. The flush timer is
 * set to an hour so the test decides when counts reach PostgreSQL (UsageService.flush()).
 */
describe('Usage stats and limits (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bob: TestTenant;
  let instanceId: string;
  let updateSeq = 9000;
  let closed = false;

  const flush = () => t.app.get(UsageService).flush();
  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);

  const photoUpdate = (messageId: number) => ({
    update_id: ++updateSeq,
    message: {
      message_id: messageId,
      from: { id: 5150, is_bot: false, first_name: 'Carol' },
      chat: { id: 5150, first_name: 'Carol', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      caption: 'look',
      photo: [
        { file_id: 'small-photo', file_unique_id: 's1', file_size: 100, width: 90, height: 30 },
        { file_id: 'big-photo', file_unique_id: 'b1', file_size: 4096, width: 800, height: 600 },
      ],
    },
  });

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'stats_bot' });
    tg.addBot(LIMITED_BOT, { username: 'limited_bot' });
    receiver = await WebhookReceiver.start();
    const port = await freePort();
    t = await startTestApp(
      {
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        USAGE_FLUSH_INTERVAL_MS: '3600000',
      },
      port,
    );
    alice = await createTenant(t);
    bob = await createTenant(t);
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: 'Stats bot',
        config: { botToken: BOT },
        webhookUrl: receiver.url('/stats'),
        webhookSecret: SECRET,
        retryInterval: 100,
      })
      .expect(201);
    instanceId = res.body.id;
  });

  afterAll(async () => {
    if (!closed) await t.close();
    await tg.stop();
    await receiver.stop();
  });

  it('counts sends, receives, media, bytes, API calls and succeeded webhooks exactly once flushed', async () => {
    const send = (body: Record<string, unknown>) =>
      alice
        .post(`/api/instances/${instanceId}/messages`)
        .send({ to: '5150', ...body })
        .expect(201);
    await send({ type: 'text', text: 'one' });
    await send({ type: 'text', text: 'two' });
    await send({ type: 'image', media: { url: 'https://example.com/a.jpg' }, caption: 'pic' });

    const text = await tg.simulateInbound({ token: BOT, chatId: 5150, text: 'hello' });
    expect(text.status).toBe(200);
    const photo = await tg.sendWebhookUpdate(BOT, photoUpdate(777));
    expect(photo.status).toBe(200);
    // a provider redelivery of the same update is not counted twice
    await tg.sendWebhookUpdate(BOT, { ...photoUpdate(777), update_id: updateSeq });

    // connected + 3 message_sent + 2 message_received
    await receiver.waitForCount(6, 15_000);
    const succeeded = await eventually(async () => {
      const [r] = await rows(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE instance_id = $1 AND status = 'succeeded'`,
        [instanceId],
      );
      return r.n === 6 ? r.n : null;
    });
    await flush();

    const [row] = await rows('SELECT * FROM usage_daily WHERE instance_id = $1', [instanceId]);
    expect(row).toMatchObject({
      messages_sent: '3',
      messages_received: '2',
      media_sent: '1',
      media_received: '1',
      media_bytes: '4096',
      api_calls: '3',
      webhooks_sent: String(succeeded),
    });
    expect(row.date).toBeDefined();

    const expected = {
      messagesSent: 3,
      messagesReceived: 2,
      mediaSent: 1,
      mediaReceived: 1,
      totalMediaSize: 4096,
      apiCalls: 3,
      webhookSent: 6,
    };
    for (const period of ['today', 'all']) {
      const res = await alice.get(`/api/stats/instances/${instanceId}?period=${period}`).expect(200);
      expect(res.body).toEqual({
        instanceId,
        period,
        usage: {
          ...expected,
          dailyStats: [{ date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/), ...expected }],
        },
      });
    }

    for (const period of ['week', 'all']) {
      const user = await alice.get(`/api/stats/user?period=${period}`).expect(200);
      expect(user.body).toEqual({
        period,
        total: { ...expected, instanceCount: 1 },
        instances: [{ instanceId, name: 'Stats bot', provider: 'telegram', ...expected }],
        daily: [{ date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/), ...expected }],
        // counted exactly in dashboard-api.e2e-spec.ts
        deliveries: {
          pending: expect.any(Number),
          failed: expect.any(Number),
          succeeded: expect.any(Number),
          dead: expect.any(Number),
        },
      });
    }

    // the two stats calls on the instance count once flushed
    await flush();
    const again = await alice.get(`/api/stats/instances/${instanceId}`).expect(200);
    expect(again.body.usage.apiCalls).toBe(5);

    const system = await t
      .http()
      .get('/api/stats/system')
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    expect(system.body).toMatchObject({
      period: 'all',
      instances: { total: expect.any(Number), active: expect.any(Number) },
      users: { total: expect.any(Number), active: expect.any(Number) },
      providers: { telegram: { count: expect.any(Number), active: expect.any(Number) } },
    });
    expect(system.body.users.total).toBeGreaterThanOrEqual(3);
    expect(system.body.instances.total).toBeGreaterThanOrEqual(1);
    expect(system.body.usage.messagesSent).toBeGreaterThanOrEqual(3);
    expect(system.body.usage.totalMediaSize).toBeGreaterThanOrEqual(4096);
  });

  it('exposes the gateway series on /metrics as valid Prometheus text that moved with the traffic', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const samples = new Map<string, number>();
    for (const line of res.text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
      expect([line, !!m]).toEqual([line, true]);
      samples.set(`${m![1]}${m![2] ?? ''}`, Number(m![3]));
    }
    expect(samples.get('switchboard_messages_total{provider="telegram",direction="out",type="text"}')).toBe(
      2,
    );
    expect(samples.get('switchboard_messages_total{provider="telegram",direction="out",type="image"}')).toBe(
      1,
    );
    expect(samples.get('switchboard_messages_total{provider="telegram",direction="in",type="text"}')).toBe(1);
    expect(samples.get('switchboard_messages_total{provider="telegram",direction="in",type="image"}')).toBe(
      1,
    );
    expect(samples.get('switchboard_webhook_deliveries_total{outcome="succeeded"}')).toBeGreaterThanOrEqual(
      6,
    );
    expect(
      samples.get('switchboard_webhook_delivery_duration_seconds_count{outcome="succeeded"}'),
    ).toBeGreaterThanOrEqual(6);
    expect(
      samples.get(
        'switchboard_http_request_duration_seconds_count{method="POST",route="/api/instances/:id/messages",status="201"}',
      ),
    ).toBe(3);
    expect(
      samples.get('switchboard_instances{provider="telegram",status="connected"}'),
    ).toBeGreaterThanOrEqual(1);
    expect([...samples.keys()].some((k) => k.startsWith('switchboard_queue_jobs{'))).toBe(true);
  });

  it('system stats are admin only; another tenant’s instance stats are a 404', async () => {
    const forbidden = await alice.get('/api/stats/system').expect(403);
    expect(forbidden.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(forbidden.body).toMatchObject({ status: 403, code: 'forbidden' });

    const hidden = await bob.get(`/api/stats/instances/${instanceId}`).expect(404);
    expect(hidden.body).toMatchObject({ status: 404, code: 'not_found' });
    const bobs = await bob.get('/api/stats/user').expect(200);
    expect(bobs.body).toMatchObject({
      period: 'month',
      total: { instanceCount: 0, messagesSent: 0 },
      instances: [],
    });

    const bad = await alice.get('/api/stats/user?period=decade').expect(400);
    expect(bad.body.errors[0].field).toBe('period');
  });

  it('maxMessagesSent 3 lets 3 sends through, refuses the 4th with 429, emits one limit_exceeded', async () => {
    const created = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: 'Limited bot',
        config: { botToken: LIMITED_BOT },
        webhookUrl: receiver.url('/limited'),
        webhookSecret: SECRET,
        retryInterval: 100,
        limits: { maxMessagesSent: 3 },
      })
      .expect(201);
    const limitedId = created.body.id;
    expect(created.body.limits).toEqual({ maxMessagesSent: 3 });
    const sendMessage = tg.calls('sendMessage').length;

    for (let i = 1; i <= 3; i++) {
      await alice
        .post(`/api/instances/${limitedId}/messages`)
        .send({ to: '5150', type: 'text', text: `m${i}` })
        .expect(201);
    }
    for (let i = 0; i < 2; i++) {
      const refused = await alice
        .post(`/api/instances/${limitedId}/messages`)
        .send({ to: '5150', type: 'text', text: 'over' })
        .expect(429);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({
        status: 429,
        code: 'limit_exceeded',
        limit: 'maxMessagesSent',
        max: 3,
        usage: { messagesSent: 3 },
      });
      expect(refused.body.detail).toMatch(/maxMessagesSent/);
    }
    expect(tg.calls('sendMessage').length - sendMessage).toBe(3);

    const hook = await receiver.waitFor(
      (r) => r.path === '/limited' && (r.json as { event?: string })?.event === 'limit_exceeded',
    );
    expect(WebhookReceiver.verifySeedsSignature(hook, SECRET)).toBe(true);
    expect(hook.json).toMatchObject({
      event: 'limit_exceeded',
      instanceId: limitedId,
      data: { instanceId: limitedId, exceededLimits: ['maxMessagesSent'], usage: { messagesSent: 3 } },
    });
    const events = await rows(
      `SELECT count(*)::int AS n FROM events WHERE instance_id = $1 AND type = 'limit_exceeded'`,
      [limitedId],
    );
    expect(events[0].n).toBe(1);

    // raising the limit lets sends through again
    await alice
      .put(`/api/instances/${limitedId}`)
      .send({ limits: { maxMessagesSent: 10 } })
      .expect(200);
    await alice
      .post(`/api/instances/${limitedId}/messages`)
      .send({ to: '5150', type: 'text', text: 'again' })
      .expect(201);
  });

  it('flushes pending counts on graceful shutdown', async () => {
    const [before] = await rows('SELECT messages_sent FROM usage_daily WHERE instance_id = $1', [instanceId]);
    await alice
      .post(`/api/instances/${instanceId}/messages`)
      .send({ to: '5150', type: 'text', text: 'last one' })
      .expect(201);
    await t.close();
    closed = true;
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows: after } = await client.query(
        'SELECT messages_sent FROM usage_daily WHERE instance_id = $1',
        [instanceId],
      );
      expect(Number(after[0]?.messages_sent ?? 0)).toBe(Number(before?.messages_sent ?? 0) + 1);
    } finally {
      await client.end();
    }
  });
});
