import { DeliveryRetentionService } from '../../src/modules/webhooks/delivery-retention.service';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { RecordedRequest, WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const MAX_PAYLOAD = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventOf = (r: RecordedRequest) => (r.json as { event?: string } | undefined)?.event;

/**
 * Delivery log API and delivery policies (issue 3) against the real app, PostgreSQL and Redis:
 * attempts in the log, Retry-After, redirects never followed, 410 and sustained failure disable
 * the webhook, ordered replay, manual retry, secret rotation with the official verifier,
 * the test event, the payload cap, retention and tenant isolation.
 */
describe('Webhook delivery log and policies (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let alice: TestTenant;
  const receivers: WebhookReceiver[] = [];
  let botSeq = 0;

  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);

  /** A receiver that is stopped after the suite. */
  const newReceiver = async () => {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    return r;
  };

  /** A connected Telegram instance (own bot) delivering to `url`; its `connected` event is the first delivery. */
  const newInstance = async (url: string, body: Record<string, unknown> = {}) => {
    botSeq += 1;
    const token = `${730000000 + botSeq}:CCHdqTcvCH1vGWJxfSeofSAs0K5PALDd${String(botSeq).padStart(3, '0')}`;
    tg.addBot(token, { username: `deliveries_${botSeq}_bot` });
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: `deliveries ${botSeq}`,
        config: { botToken: token },
        webhookUrl: url,
        webhookSecret: 'user-supplied-secret-0001',
        maxRetries: 3,
        retryInterval: 100,
        ...body,
      })
      .expect(201);
    return { id: res.body.id as string, token };
  };

  const deliveriesOf = async (instanceId: string, query = '') =>
    (await alice.get(`/api/instances/${instanceId}/webhook-deliveries${query}`).expect(200)).body;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    const port = await freePort();
    t = await startTestApp(
      {
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        WEBHOOK_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
      },
      port,
    );
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await tg.stop();
    for (const r of receivers) await r.stop();
  });

  it('lists a 500-then-200 delivery with both attempts; a manual retry is a new series with the same webhook-id', async () => {
    const receiver = await newReceiver();
    receiver.failNext(1, 500, {}, 'boom');
    const { id } = await newInstance(receiver.url());
    const [first, second] = await receiver.waitForCount(2, 10_000);
    expect(first.headers['webhook-id']).toBe(second.headers['webhook-id']);

    const list = await eventually(async () => {
      const body = await deliveriesOf(id, '?event=connected&status=succeeded');
      return body.deliveries.length === 1 && body;
    });
    expect(list.pagination).toMatchObject({ total: 1, skip: 0, hasMore: false });
    const delivery = list.deliveries[0];
    expect(delivery).toMatchObject({
      instanceId: id,
      event: 'connected',
      eventId: first.headers['webhook-id'],
      url: receiver.url(),
      status: 'succeeded',
      attempts: 2,
      series: 0,
      replay: false,
      lastStatusCode: 200,
      lastError: null,
    });
    expect((await deliveriesOf(id, '?status=dead')).deliveries).toEqual([]);
    expect((await deliveriesOf(id, '?event=message_sent')).deliveries).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await deliveriesOf(id, `?since=${future}`)).deliveries).toEqual([]);

    const detail = (await alice.get(`/api/webhook-deliveries/${delivery.id}`).expect(200)).body;
    expect(detail.delivery).toMatchObject({ id: delivery.id, status: 'succeeded' });
    expect(detail.envelope).toMatchObject({
      id: first.headers['webhook-id'],
      event: 'connected',
      instanceId: id,
      provider: 'telegram',
    });
    expect(detail.envelope).toEqual(first.json);
    expect(detail.attempts).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 500, error: 'http_500', responseSnippet: 'boom' }),
      expect.objectContaining({ attempt: 2, statusCode: 200, error: null, responseSnippet: 'ok' }),
    ]);
    expect(typeof detail.attempts[0].durationMs).toBe('number');

    // the first series' job is kept by BullMQ: the retry must still go out (new job id)
    receiver.failNext(1, 503);
    const retried = await alice.post(`/api/webhook-deliveries/${delivery.id}/retry`).expect(202);
    expect(retried.body).toMatchObject({ id: delivery.id, status: 'pending', series: 1 });
    const [, , third, fourth] = await receiver.waitForCount(4, 10_000);
    expect(third.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(fourth.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const after = await eventually(async () => {
      const body = (await alice.get(`/api/webhook-deliveries/${delivery.id}`).expect(200)).body;
      return body.delivery.status === 'succeeded' && body;
    });
    expect(after.delivery).toMatchObject({ attempts: 4, series: 1 });
    expect(
      after.attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]),
    ).toEqual([
      [1, 500],
      [2, 200],
      [3, 503],
      [4, 200],
    ]);
  });

  it('refuses to retry a delivery that is still retrying (409)', async () => {
    const receiver = await newReceiver();
    receiver.respondWith(500);
    const { id } = await newInstance(receiver.url(), { retryInterval: 60_000, maxRetries: 2 });
    await receiver.waitForCount(1);
    const [d] = await eventually(async () => {
      const body = await deliveriesOf(id, '?status=failed');
      return body.deliveries.length && body.deliveries;
    });
    const res = await alice.post(`/api/webhook-deliveries/${d.id}/retry`).expect(409);
    expect(res.body).toMatchObject({ code: 'delivery_in_progress', status: 409 });
  });

  it('honours Retry-After: 2 on a 429', async () => {
    const receiver = await newReceiver();
    receiver.failNext(1, 429, { 'Retry-After': '2' }, 'slow down');
    const { id } = await newInstance(receiver.url());
    const [first, second] = await receiver.waitForCount(2, 10_000);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(2000);
    const [d] = (await deliveriesOf(id, '?event=connected')).deliveries;
    const detail = (await alice.get(`/api/webhook-deliveries/${d.id}`).expect(200)).body;
    expect(detail.attempts[0]).toMatchObject({ attempt: 1, statusCode: 429, error: 'http_429' });
  });

  it('records 301 and 308 as failed attempts and never hits the redirect target', async () => {
    const receiver = await newReceiver();
    const target = await newReceiver();
    receiver.failNext(1, 301, { Location: target.url('/moved') }, 'moved');
    receiver.failNext(1, 308, { Location: target.url('/moved') }, 'moved');
    const { id } = await newInstance(receiver.url(), { maxRetries: 1 });
    await receiver.waitForCount(2);
    const [d] = await eventually(async () => {
      const body = await deliveriesOf(id, '?status=dead');
      return body.deliveries.length && body.deliveries;
    });
    expect(d).toMatchObject({ event: 'connected', attempts: 2, lastStatusCode: 308 });
    expect(d.lastError).toMatch(/^redirect: redirect to http:\/\/127\.0\.0\.1:\d+\/moved not followed$/);
    const detail = (await alice.get(`/api/webhook-deliveries/${d.id}`).expect(200)).body;
    expect(
      detail.attempts.map((a: { statusCode: number; error: string }) => [a.statusCode, a.error]),
    ).toEqual([
      [301, 'redirect'],
      [308, 'redirect'],
    ]);
    await sleep(300);
    expect(target.requests).toEqual([]);

    // a retry of the exhausted delivery gets a fresh budget (maxRetries 1 → two attempts in this series)
    receiver.failNext(1, 500);
    await alice.post(`/api/webhook-deliveries/${d.id}/retry`).expect(202);
    const retried = await eventually(async () => {
      const body = (await alice.get(`/api/webhook-deliveries/${d.id}`).expect(200)).body;
      return body.delivery.status === 'succeeded' && body;
    });
    expect(retried.delivery).toMatchObject({ attempts: 4, series: 1, lastStatusCode: 200 });
    expect(retried.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(target.requests).toEqual([]);
  });

  it('webhook/test sends a signed webhook_test now and returns the outcome', async () => {
    const receiver = await newReceiver();
    const { id } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    receiver.failNext(1, 418, {}, 'teapot');
    const failed = await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(failed.body).toMatchObject({
      delivered: false,
      statusCode: 418,
      error: 'http_418',
      responseSnippet: 'teapot',
    });

    const ok = await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(ok.body).toMatchObject({ delivered: true, statusCode: 200, error: null, responseSnippet: 'ok' });
    expect(ok.body.durationMs).toBeGreaterThanOrEqual(0);
    const req = receiver.requests.find((r) => r.headers['webhook-id'] === ok.body.eventId)!;
    expect(req.json).toMatchObject({ event: 'webhook_test', instanceId: id, data: { test: true } });
    expect(WebhookReceiver.verifyStandardWebhooks(req, 'user-supplied-secret-0001')).toMatchObject({
      id: ok.body.eventId,
    });
    expect(WebhookReceiver.verifySeedsSignature(req, 'user-supplied-secret-0001')).toBe(true);

    const detail = (await alice.get(`/api/webhook-deliveries/${ok.body.deliveryId}`).expect(200)).body;
    expect(detail.delivery).toMatchObject({ event: 'webhook_test', status: 'succeeded', attempts: 1 });
    const dead = (await alice.get(`/api/webhook-deliveries/${failed.body.deliveryId}`).expect(200)).body;
    expect(dead.delivery).toMatchObject({ status: 'dead', lastStatusCode: 418, attempts: 1 });
  });

  it('410 Gone disables the webhook (row, webhook_updated event, activity) and nothing more is sent', async () => {
    const receiver = await newReceiver();
    receiver.respondWith(410, {}, 'gone');
    const { id, token } = await newInstance(receiver.url());
    await receiver.waitForCount(1);
    const [inst] = await eventually(async () => {
      const r = await rows(
        'SELECT webhook_enabled, webhook_disabled_reason, webhook_disabled_at FROM instances WHERE id = $1',
        [id],
      );
      return r[0].webhook_enabled === false && r;
    });
    expect(inst.webhook_disabled_reason).toBe('gone_410');
    expect(inst.webhook_disabled_at).toBeInstanceOf(Date);
    const [d] = (await deliveriesOf(id, '?event=connected')).deliveries;
    expect(d).toMatchObject({ status: 'dead', attempts: 1, lastStatusCode: 410 });
    const [updated] = await rows(
      `SELECT payload FROM events WHERE instance_id = $1 AND type = 'webhook_updated'`,
      [id],
    );
    expect(updated.payload).toMatchObject({
      instanceId: id,
      webhookEnabled: false,
      disabled: true,
      reason: 'gone_410',
    });
    const activity = (await alice.get(`/api/instances/${id}/activity?actions=webhook_disabled`).expect(200))
      .body;
    expect(activity.logs).toEqual([
      expect.objectContaining({
        action: 'webhook_disabled',
        details: expect.objectContaining({ reason: 'gone_410' }),
      }),
    ]);
    const view = (await alice.get(`/api/instances/${id}`).expect(200)).body;
    expect(view).toMatchObject({ webhookEnabled: false, webhookDisabledReason: 'gone_410' });

    const before = (
      await rows('SELECT count(*)::int AS n FROM webhook_deliveries WHERE instance_id = $1', [id])
    )[0].n;
    const inbound = await tg.simulateInbound({ token, text: 'after the 410' });
    expect(inbound.status).toBe(200);
    await eventually(async () => {
      const r = await rows(`SELECT 1 FROM events WHERE instance_id = $1 AND type = 'message_received'`, [id]);
      return r.length === 1;
    });
    await sleep(300);
    expect(
      (await rows('SELECT count(*)::int AS n FROM webhook_deliveries WHERE instance_id = $1', [id]))[0].n,
    ).toBe(before);
    expect(receiver.requests).toHaveLength(1);

    // re-enabling clears the reason and offers a replay of what was missed
    receiver.respondWith(200);
    const res = await alice.put(`/api/instances/${id}`).send({ webhookEnabled: true }).expect(200);
    expect(res.body).toMatchObject({
      webhookEnabled: true,
      webhookDisabledReason: null,
      replay: {
        since: new Date(inst.webhook_disabled_at).toISOString(),
        endpoint: `POST /api/instances/${id}/webhook-deliveries/replay`,
      },
    });
    const replay = await alice
      .post(`/api/instances/${id}/webhook-deliveries/replay`)
      .send({ since: res.body.replay.since })
      .expect(202);
    expect(replay.body.replayed).toBeGreaterThanOrEqual(2);
    const missed = await receiver.waitFor((r) => eventOf(r) === 'message_received');
    expect((missed.json as { data: { text: string } }).data.text).toBe('after the 410');
  });

  it('disables a webhook whose every attempt failed for WEBHOOK_DISABLE_AFTER_MS (endpoint_failing)', async () => {
    const receiver = await newReceiver();
    const { id } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const failingSince = async () =>
      (await rows('SELECT webhook_failing_since FROM instances WHERE id = $1', [id]))[0]
        .webhook_failing_since;

    receiver.failNext(1, 500);
    await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(await failingSince()).toBeInstanceOf(Date);
    await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(await failingSince()).toBeNull();

    // a streak that began 25 h ago (default limit 24 h): the next failure disables the webhook
    await rows(`UPDATE instances SET webhook_failing_since = now() - interval '25 hours' WHERE id = $1`, [
      id,
    ]);
    const streakStart = await failingSince();
    receiver.respondWith(500);
    const res = await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(res.body).toMatchObject({ delivered: false, statusCode: 500 });
    const [inst] = await rows(
      'SELECT webhook_enabled, webhook_disabled_reason FROM instances WHERE id = $1',
      [id],
    );
    expect(inst).toEqual({ webhook_enabled: false, webhook_disabled_reason: 'endpoint_failing' });
    const [activity] = await rows(
      `SELECT details FROM activity_logs WHERE instance_id = $1 AND action = 'webhook_disabled'`,
      [id],
    );
    expect(activity.details).toMatchObject({ reason: 'endpoint_failing' });

    receiver.respondWith(200);
    const put = await alice.put(`/api/instances/${id}`).send({ webhookEnabled: true }).expect(200);
    expect(put.body.replay.since).toBe(new Date(streakStart).toISOString());
    expect(await failingSince()).toBeNull();
  });

  it('replays a range in sequence order with the original webhook-ids', async () => {
    const receiver = await newReceiver();
    const { id, token } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const [{ now: since }] = await rows('SELECT now()');
    for (let i = 1; i <= 6; i++) await tg.simulateInbound({ token, text: `in range ${i}`, chatId: 5000 + i });
    const [{ now: until }] = await rows('SELECT now()');
    await tg.simulateInbound({ token, text: 'after the range' });
    await receiver.waitForCount(8, 10_000);
    const inRange: { id: string; sequence: string }[] = await rows(
      `SELECT id, sequence FROM events WHERE instance_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY sequence`,
      [id, since, until],
    );
    expect(inRange).toHaveLength(6);

    const none = await alice
      .post(`/api/instances/${id}/webhook-deliveries/replay`)
      .send({ since, until, status: 'dead' })
      .expect(202);
    expect(none.body).toEqual({ replayed: 0, deliveryIds: [], truncated: false });

    receiver.reset();
    // each response takes 50 ms: one-at-a-time delivery shows as arrivals ≥ 50 ms apart
    receiver.setResponseDelay(50);
    const res = await alice
      .post(`/api/instances/${id}/webhook-deliveries/replay`)
      .send({ since, until })
      .expect(202);
    expect(res.body).toMatchObject({ replayed: 6, truncated: false });
    expect(res.body.deliveryIds).toHaveLength(6);
    const got = await receiver.waitForCount(6, 10_000);
    await sleep(300);
    expect(receiver.requests).toHaveLength(6);
    expect(got.map((r) => r.headers['webhook-id'])).toEqual(inRange.map((e) => e.id));
    expect(got.map((r) => (r.json as { sequence: number }).sequence)).toEqual(
      inRange.map((e) => Number(e.sequence)),
    );
    expect(got.map((r) => r.headers['x-webhook-delivery'])).toEqual(res.body.deliveryIds);
    const gaps = got.slice(1).map((r, i) => r.receivedAt - got[i].receivedAt);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45);

    const replayed = await deliveriesOf(id, '?status=succeeded&event=message_received');
    expect(replayed.deliveries.filter((d: { replay: boolean }) => d.replay)).toHaveLength(6);
  });

  it('rotate-secret: old and new secret both verify during the grace, only the new one after', async () => {
    const receiver = await newReceiver();
    const oldSecret = 'user-supplied-secret-0001';
    const { id } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const res = await alice
      .post(`/api/instances/${id}/webhook/rotate-secret`)
      .send({ graceMs: 1500 })
      .expect(200);
    const newSecret: string = res.body.webhookSecret;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(newSecret.slice(6), 'base64')).toHaveLength(32);
    const expiresAt = Date.parse(res.body.previousSecretExpiresAt);
    const view = (await alice.get(`/api/instances/${id}`).expect(200)).body;
    expect(JSON.stringify(view)).not.toContain(newSecret);
    const [row] = await rows(
      'SELECT webhook_secret_enc, webhook_previous_secret_enc FROM instances WHERE id = $1',
      [id],
    );
    expect(row.webhook_secret_enc).not.toContain(newSecret);
    expect(row.webhook_previous_secret_enc).toMatch(/^v1\./);

    const during = await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    expect(during.body.delivered).toBe(true);
    const inGrace = receiver.requests.find((r) => r.headers['webhook-id'] === during.body.eventId)!;
    expect(inGrace.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(WebhookReceiver.verifyStandardWebhooks(inGrace, newSecret)).toMatchObject({
      event: 'webhook_test',
    });
    expect(WebhookReceiver.verifyStandardWebhooks(inGrace, oldSecret)).toMatchObject({
      event: 'webhook_test',
    });
    expect(WebhookReceiver.verifySeedsSignature(inGrace, newSecret)).toBe(true);
    const rotated = await receiver.waitFor(
      (r) =>
        eventOf(r) === 'webhook_updated' &&
        (r.json as { data: { secretRotated?: boolean } }).data.secretRotated === true,
    );
    expect(WebhookReceiver.verifyStandardWebhooks(rotated, oldSecret)).toBeTruthy();
    const [activity] = await rows(
      `SELECT details FROM activity_logs WHERE instance_id = $1 AND action = 'webhook_secret_rotated'`,
      [id],
    );
    expect(activity.details).toEqual({ previousSecretExpiresAt: res.body.previousSecretExpiresAt });

    await sleep(Math.max(0, expiresAt - Date.now() + 100));
    const after = await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
    const afterGrace = receiver.requests.find((r) => r.headers['webhook-id'] === after.body.eventId)!;
    expect(afterGrace.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(WebhookReceiver.verifyStandardWebhooks(afterGrace, newSecret)).toMatchObject({
      event: 'webhook_test',
    });
    expect(() => WebhookReceiver.verifyStandardWebhooks(afterGrace, oldSecret)).toThrow();
    expect(WebhookReceiver.verifySeedsSignature(afterGrace, oldSecret)).toBe(false);
  });

  it('an event over WEBHOOK_MAX_PAYLOAD_BYTES gets a dead delivery with a clear error and is never sent', async () => {
    const receiver = await newReceiver();
    const { id, token } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const big = 'x'.repeat(MAX_PAYLOAD + 500);
    // inbound: the one-statement ingest path
    await tg.simulateInbound({ token, text: big, chatId: 4242 });
    // outbound: EventsService.record
    await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '4242', type: 'text', text: big })
      .expect(201);

    const dead = await eventually(async () => {
      const body = await deliveriesOf(id, '?status=dead');
      return body.deliveries.length === 2 && body.deliveries;
    });
    expect(dead.map((d: { event: string }) => d.event).sort()).toEqual(['message_received', 'message_sent']);
    for (const d of dead) {
      expect(d.attempts).toBe(0);
      const bytes = Number(/^payload_too_large: (\d+) bytes > 3000$/.exec(d.lastError)?.[1]);
      expect(bytes).toBeGreaterThan(MAX_PAYLOAD + 500);
    }
    await sleep(300);
    expect(receiver.requests.filter((r) => r.rawBody.includes(big))).toEqual([]);
  });

  it('retention deletes only succeeded and dead deliveries past their period, with their attempts', async () => {
    const receiver = await newReceiver();
    const { id } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const [event] = await rows('SELECT id FROM events WHERE instance_id = $1 LIMIT 1', [id]);
    const insert = async (status: string, ageDays: number) => {
      const [d] = await rows(
        `INSERT INTO webhook_deliveries (event_id, instance_id, url, status, attempts, updated_at)
         VALUES ($1, $2, 'http://127.0.0.1/x', $3, 1, now() - make_interval(days => $4)) RETURNING id`,
        [event.id, id, status, ageDays],
      );
      await rows(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, duration_ms) VALUES ($1, 1, 5)`,
        [d.id],
      );
      return d.id as string;
    };
    const oldSucceeded = await insert('succeeded', 8);
    const freshSucceeded = await insert('succeeded', 6);
    const oldDead = await insert('dead', 31);
    const youngDead = await insert('dead', 8);
    const oldFailed = await insert('failed', 40);

    const pruned = await t.app.get(DeliveryRetentionService).prune();
    expect(pruned.succeeded).toBeGreaterThanOrEqual(1);
    expect(pruned.dead).toBeGreaterThanOrEqual(1);
    const left: { id: string }[] = await rows('SELECT id FROM webhook_deliveries WHERE id = ANY($1)', [
      [oldSucceeded, freshSucceeded, oldDead, youngDead, oldFailed],
    ]);
    expect(left.map((r) => r.id).sort()).toEqual([freshSucceeded, youngDead, oldFailed].sort());
    const attempts = await rows(
      'SELECT delivery_id FROM webhook_delivery_attempts WHERE delivery_id = ANY($1)',
      [[oldSucceeded, oldDead]],
    );
    expect(attempts).toEqual([]);
  });

  it('hides one tenant’s deliveries and webhook actions from another (404)', async () => {
    const receiver = await newReceiver();
    const { id } = await newInstance(receiver.url());
    await receiver.waitFor((r) => eventOf(r) === 'connected');
    const [d] = await eventually(async () => {
      const body = await deliveriesOf(id);
      return body.deliveries.length && body.deliveries;
    });
    const bob = await createTenant(t);
    const calls = [
      bob.get(`/api/instances/${id}/webhook-deliveries`),
      bob.get(`/api/webhook-deliveries/${d.id}`),
      bob.get('/api/webhook-deliveries/not-a-uuid'),
      bob.post(`/api/webhook-deliveries/${d.id}/retry`),
      bob.post(`/api/instances/${id}/webhook-deliveries/replay`).send({ since: new Date(0).toISOString() }),
      bob.post(`/api/instances/${id}/webhook/test`),
      bob.post(`/api/instances/${id}/webhook/rotate-secret`).send({}),
    ];
    for (const call of calls) {
      const res = await call.expect(404);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
    }
    const requestsBefore = receiver.requests.length;
    await sleep(200);
    expect(receiver.requests).toHaveLength(requestsBefore);
    const [inst] = await rows('SELECT webhook_previous_secret_enc FROM instances WHERE id = $1', [id]);
    expect(inst.webhook_previous_secret_enc).toBeNull();
    // admins may see any delivery
    await t
      .http()
      .get(`/api/webhook-deliveries/${d.id}`)
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
  });
});
