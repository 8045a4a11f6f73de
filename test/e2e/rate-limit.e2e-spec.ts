import request from 'supertest';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '440501876:DDHdqTcvCH1vGWJxfSeofSAs0K5PALDsdz';

/**
 * Redis-backed API rate limits with small budgets (read at boot): two app instances on the same
 * Redis share one budget per user; sends have their own stricter budget; /health is exempt.
 */
describe('API rate limiting (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let tg: FakeTelegramApi;
  let alice: TestTenant;
  let bob: TestTenant;
  let carol: TestTenant;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'rate_bot' });
    const env = {
      TELEGRAM_API_ROOT: tg.apiRoot,
      RATE_LIMIT_TTL_MS: '60000',
      RATE_LIMIT_LIMIT: '5',
      RATE_LIMIT_SEND_LIMIT: '2',
      // budgets are per user and the admin is shared by every spec of the run: keep ours apart
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-ratelimit`,
      METRICS_TOKEN: 'metrics-token-0123456789',
      RATE_LIMIT_WEBHOOK_LIMIT: '3',
    };
    a = await startTestApp(env);
    b = await startTestApp(env);
    alice = await createTenant(a);
    bob = await createTenant(a);
    carol = await createTenant(a);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await tg.stop();
  });

  it('shares one budget per user across two app instances: 429 with Retry-After past it', async () => {
    const on = (app: TestApp) => request(app.baseUrl).get('/api/instances').set('x-api-key', alice.apiKey);
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await on(i % 2 === 0 ? a : b).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      remaining.push(Number(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    for (const app of [a, b]) {
      const refused = await on(app).expect(429);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited', budget: 'default', limit: 5 });
    }

    // another user has a budget of their own; probes are never throttled
    await bob.get('/api/instances').expect(200);
    for (let i = 0; i < 8; i++) await request(a.baseUrl).get('/health').expect(200);
  });

  it('gives provider webhooks one global ceiling, not a per-user budget', async () => {
    const hook = (app: TestApp, id: string) =>
      request(app.baseUrl).post(`/webhooks/telegram/${id}`).send({ update_id: 1 });
    // unverified requests spend the ceiling too (401 before it is reached, whoever sends them)
    await hook(a, '00000000-0000-4000-8000-000000000001').expect(401);
    await hook(b, '00000000-0000-4000-8000-000000000002').expect(401);
    await hook(a, '00000000-0000-4000-8000-000000000003').expect(401);
    const refused = await hook(b, '00000000-0000-4000-8000-000000000004').expect(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', budget: 'webhooks', limit: 3 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('protects /metrics with METRICS_TOKEN and never throttles it', async () => {
    const denied = await request(a.baseUrl).get('/metrics').expect(401);
    expect(denied.body).toMatchObject({ status: 401, code: 'unauthorized' });
    for (let i = 0; i < 7; i++) {
      const ok = await request(a.baseUrl)
        .get('/metrics')
        .set('authorization', 'Bearer metrics-token-0123456789')
        .expect(200);
      expect(ok.text).toContain('switchboard_http_request_duration_seconds_bucket');
    }
  });

  it('sends spend a stricter budget of their own', async () => {
    const created = await carol
      .post('/api/instances')
      .send({ provider: 'telegram', name: 'Rate bot', config: { botToken: BOT } })
      .expect(201);
    const send = () =>
      carol.post(`/api/instances/${created.body.id}/messages`).send({ to: '77', type: 'text', text: 'hi' });
    const first = await send().expect(201);
    expect(first.headers['x-ratelimit-limit-send']).toBe('2');
    await send().expect(201);
    const refused = await send().expect(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', budget: 'send', limit: 2 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(tg.calls('sendMessage')).toHaveLength(2);
  });
});
