import { DataSource } from 'typeorm';
import { EventsService } from '../../src/modules/webhooks/events.service';
import { InstanceEntity } from '../../src/modules/instances-core/instance.entity';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '220301654:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDpoll';
const SECRET = 'a-plain-shared-secret-of-the-seeds';

/** Telegram without PUBLIC_BASE_URL: the worker long-polls getUpdates, one poller per bot. */
describe('Telegram long polling and the delivery sweeper (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let instanceId: string;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'poll_bot' });
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ TELEGRAM_API_ROOT: tg.apiRoot, PUBLIC_BASE_URL: undefined });
    alice = await createTenant(t);
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: 'Polling bot',
        config: { botToken: BOT },
        webhookUrl: receiver.url(),
        webhookSecret: SECRET,
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

  it('creates the instance in polling mode without setWebhook', async () => {
    const [row] = await t.db.query('SELECT mode FROM telegram_instances WHERE instance_id = $1', [
      instanceId,
    ]);
    expect(row.mode).toBe('polling');
    expect(tg.calls('setWebhook')).toHaveLength(0);
    expect(tg.calls('deleteWebhook').length).toBeGreaterThanOrEqual(1);
  });

  it('receives updates from getUpdates, stores them, advances the offset and delivers signed events', async () => {
    const u1 = tg.pushUpdate(BOT, {
      message: {
        message_id: 1,
        from: { id: 4001, first_name: 'Polly' },
        chat: { id: 4001, type: 'private' },
        date: 1700000000,
        text: 'polled one',
      },
    });
    const u2 = tg.pushUpdate(BOT, {
      message: {
        message_id: 2,
        from: { id: 4001, first_name: 'Polly' },
        chat: { id: 4001, type: 'private' },
        date: 1700000001,
        text: 'polled two',
      },
    });
    const rows = await eventually(
      async () => {
        const r = await t.db.query(
          "SELECT text, provider_message_id FROM messages WHERE instance_id = $1 AND direction = 'in' ORDER BY provider_timestamp",
          [instanceId],
        );
        return r.length === 2 ? r : null;
      },
      10_000,
      'both polled messages stored',
    );
    expect(rows).toEqual([
      { text: 'polled one', provider_message_id: '4001:1' },
      { text: 'polled two', provider_message_id: '4001:2' },
    ]);
    const [offset] = await eventually(
      async () => {
        const r = await t.db.query('SELECT update_offset FROM telegram_instances WHERE instance_id = $1', [
          instanceId,
        ]);
        return Number(r[0].update_offset) === u2.update_id + 1 ? r : null;
      },
      5_000,
      'offset saved',
    );
    expect(Number(offset.update_offset)).toBe(u1.update_id + 2);

    const polls = tg.calls('getUpdates');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[polls.length - 1].params).toMatchObject({
      allowed_updates: expect.arrayContaining(['message', 'edited_message']),
    });

    const hook = await receiver.waitFor(
      (r) => (r.json as { data?: { text?: string } })?.data?.text === 'polled two',
    );
    expect(WebhookReceiver.verifySeedsSignature(hook, SECRET)).toBe(true);
    expect(WebhookReceiver.verifyStandardWebhooks(hook, SECRET)).toMatchObject({
      event: 'message_received',
      provider: 'telegram',
    });
    const archived = await t.db.query(
      "SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1 AND provider = 'telegram'",
      [instanceId],
    );
    expect(archived[0].n).toBe(2);
  });

  it('stops polling when the instance is logged out', async () => {
    await alice.post(`/api/instances/${instanceId}/logout`).expect(200);
    await new Promise((r) => setTimeout(r, 3000));
    const before = tg.calls('getUpdates').length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(tg.calls('getUpdates').length).toBe(before);
    await alice.post(`/api/instances/${instanceId}/reconnect`).expect(200);
  });

  it('the sweeper delivers an event whose delivery never reached Redis', async () => {
    const instance = await t.db.getRepository(InstanceEntity).findOneByOrFail({ id: instanceId });
    const events = t.app.get(EventsService);
    // record without enqueue: exactly what happens when Redis is down at commit time
    const recorded = await t.app
      .get(DataSource)
      .transaction((tx) => events.record(tx, instance, 'connected', { instanceId, mode: 'polling' }));
    expect(recorded.delivery).not.toBeNull();
    const hook = await receiver.waitFor(
      (r) => (r.json as { id?: string } | undefined)?.id === recorded.eventId,
      10_000,
    );
    expect((hook.json as { id: string }).id).toBe(recorded.eventId);
    expect((hook.json as { data: unknown }).data).toEqual({ instanceId, mode: 'polling' });
    const [row] = await eventually(
      () =>
        t.db
          .query("SELECT status, attempts FROM webhook_deliveries WHERE id = $1 AND status = 'succeeded'", [
            recorded.delivery!.deliveryId,
          ])
          .then((r) => (r.length ? r : null)),
      5_000,
      'delivery succeeded',
    );
    expect(row).toEqual({ status: 'succeeded', attempts: 1 });
  });
});
