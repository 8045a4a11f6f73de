import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { QueueName } from '../../src/common/queues/queues';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { RecordedRequest, WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Envelope {
  event: string;
  data: { messageId?: string; text?: string; status?: string; error?: { code?: string; message?: string } };
}
const envelope = (r: RecordedRequest) => r.json as Envelope;

/**
 * Durable async sends (issue 11) against the fake Bot API: `Prefer: respond-async`, the batch
 * route, the send queue's pacing, 429 retries at Retry-After, order within a chat, and what
 * happens to queued messages when the instance is deleted or logged out.
 */
describe('Async sends (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bots = 0;

  /** A Telegram instance with its own bot (so pacing and flood windows never mix between tests). */
  const newInstance = async (): Promise<{ id: string; token: string }> => {
    bots += 1;
    const token = `${7_000_000 + bots}:AAHasyncSendBotToken${bots}xxxxxxxxxxxxxx`;
    tg.addBot(token, { username: `async_bot_${bots}` });
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: `async ${bots}`,
        config: { botToken: token },
        webhookUrl: receiver.url('/hook'),
        webhookSecret: SECRET,
        retryInterval: 100,
      })
      .expect(201);
    return { id: res.body.id, token };
  };

  const sendsOf = (token: string) => tg.calls('sendMessage').filter((c) => c.token === token);
  const eventFor = (messageId: string, event: string) =>
    receiver.waitFor(
      (r) => envelope(r)?.data?.messageId === messageId && envelope(r).event === event,
      20_000,
    );

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    receiver = await WebhookReceiver.start();
    const port = await freePort();
    t = await startTestApp(
      { TELEGRAM_API_ROOT: tg.apiRoot, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
      port,
    );
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await tg.stop();
    await receiver.stop();
  });

  it('Prefer: respond-async answers 202 with the queued message, which then ends sent with message_sent', async () => {
    const { id, token } = await newInstance();
    const res = await alice
      .post(`/api/instances/${id}/messages`)
      .set('Prefer', 'respond-async')
      .send({ to: '424242', type: 'text', text: 'queued hello' })
      .expect(202);
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect(res.body).toMatchObject({
      instanceId: id,
      direction: 'out',
      type: 'text',
      text: 'queued hello',
      status: 'queued',
      providerMessageId: null,
      providerChatId: '424242',
    });

    const hook = await eventFor(res.body.id, 'message_sent');
    expect(envelope(hook).data).toMatchObject({ text: 'queued hello', status: 'sent' });
    expect(receiver.verifyStandardWebhooks(hook, SECRET)).toBeTruthy();
    const sent = await alice.get(`/api/instances/${id}/messages/${res.body.id}`).expect(200);
    expect(sent.body.status).toBe('sent');
    expect(sent.body.providerMessageId).toMatch(/^424242:\d+$/);
    expect(sendsOf(token).map((c) => c.params.text)).toEqual(['queued hello']);
    const [row] = await t.db.query('SELECT status, queue_seq, outbound FROM messages WHERE id = $1', [
      res.body.id,
    ]);
    expect(row.status).toBe('sent');
    expect(row.queue_seq).not.toBeNull();
    expect(row.outbound).toMatchObject({ to: '424242', type: 'text', text: 'queued hello' });
  });

  it('a provider 429 during an async send is retried after its Retry-After and ends sent (never failed)', async () => {
    const { id, token } = await newInstance();
    tg.failNextWithFloodWait('sendMessage', 2);
    const res = await alice
      .post(`/api/instances/${id}/messages`)
      .set('Prefer', 'respond-async')
      .send({ to: '5151', type: 'text', text: 'after the flood wait' })
      .expect(202);

    const hook = await eventFor(res.body.id, 'message_sent');
    expect(envelope(hook).data.status).toBe('sent');
    const calls = sendsOf(token);
    expect(calls.map((c) => c.params.text)).toEqual(['after the flood wait', 'after the flood wait']);
    // the second attempt waited for retry_after (2 s) after the 429
    expect(calls[1].at.getTime() - calls[0].at.getTime()).toBeGreaterThanOrEqual(1900);
    const failed = await t.db.query(
      `SELECT count(*)::int AS n FROM events WHERE type = 'message_failed' AND payload->>'messageId' = $1`,
      [res.body.id],
    );
    expect(failed[0].n).toBe(0);
  });

  it('keeps the order within a chat, paced at Telegram’s 1 message/s per chat, through 429s', async () => {
    const { id, token } = await newInstance();
    tg.failNextWithFloodWait('sendMessage', 1);
    const texts = ['first', 'second', 'third', 'fourth'];
    const res = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: texts.map((text) => ({ to: '777', type: 'text', text })) })
      .expect(202);
    expect(res.body.rejected).toEqual([]);
    expect(res.body.queued.map((q: { index: number }) => q.index)).toEqual([0, 1, 2, 3]);
    // a single async send to the same chat after the batch comes after it
    const single = await alice
      .post(`/api/instances/${id}/messages`)
      .set('Prefer', 'respond-async')
      .send({ to: '777', type: 'text', text: 'fifth' })
      .expect(202);

    await eventFor(single.body.id, 'message_sent');
    const delivered = sendsOf(token).map((c) => c.params.text);
    // the 429'd first attempt, then every message once, in order
    expect(delivered).toEqual(['first', ...texts, 'fifth']);
    const accepted = sendsOf(token).slice(1);
    for (let i = 1; i < accepted.length; i++)
      expect(accepted[i].at.getTime() - accepted[i - 1].at.getTime()).toBeGreaterThanOrEqual(950);
    const rows = await t.db.query(
      `SELECT text, status FROM messages WHERE instance_id = $1 ORDER BY queue_seq`,
      [id],
    );
    expect(rows).toEqual([...texts, 'fifth'].map((text) => ({ text, status: 'sent' })));
  });

  it('a batch rejects an invalid item with its index and field and queues the rest; item keys replay', async () => {
    const { id, token } = await newInstance();
    const res = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({
        messages: [
          { to: '1001', type: 'text', text: 'batch one', idempotencyKey: 'order-1' },
          { to: '1002', type: 'text' },
          { to: '1003', type: 'text', text: 'batch three' },
          { to: '1004', type: 'carrier-pigeon', text: 'no' },
        ],
      })
      .expect(202);
    expect(res.body.rejected).toEqual([
      expect.objectContaining({ index: 1, status: 400, code: 'validation_failed' }),
      expect.objectContaining({ index: 3, status: 400, code: 'validation_failed' }),
    ]);
    // each rejection names the item's own fields (without a messages[i] prefix: `index` says which)
    expect(new Set(res.body.rejected[0].errors.map((e: { field: string }) => e.field))).toEqual(
      new Set(['text']),
    );
    expect(new Set(res.body.rejected[1].errors.map((e: { field: string }) => e.field))).toEqual(
      new Set(['type']),
    );
    expect(res.body.rejected[0].detail).toMatch(/^messages\[1\]: text /);
    expect(res.body.queued).toEqual([
      { index: 0, id: expect.any(String), status: 'queued' },
      { index: 2, id: expect.any(String), status: 'queued' },
    ]);
    const ids = res.body.queued.map((q: { id: string }) => q.id);
    const stored = await t.db.query(
      `SELECT m.id, m.text, c.provider_chat_id FROM messages m JOIN chats c ON c.id = m.chat_id
        WHERE m.instance_id = $1 ORDER BY m.queue_seq`,
      [id],
    );
    expect(stored).toEqual([
      { id: ids[0], text: 'batch one', provider_chat_id: '1001' },
      { id: ids[1], text: 'batch three', provider_chat_id: '1003' },
    ]);
    await eventFor(ids[0], 'message_sent');
    await eventFor(ids[1], 'message_sent');

    // the same item key and message again: the stored message, nothing queued or sent again
    const again = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: [{ to: '1001', type: 'text', text: 'batch one', idempotencyKey: 'order-1' }] })
      .expect(202);
    expect(again.body).toEqual({
      queued: [{ index: 0, id: ids[0], status: 'sent', idempotentReplay: true }],
      rejected: [],
    });
    const reused = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: [{ to: '1001', type: 'text', text: 'another body', idempotencyKey: 'order-1' }] })
      .expect(202);
    expect(reused.body.rejected).toEqual([
      expect.objectContaining({ index: 0, status: 422, code: 'idempotency_key_reused' }),
    ]);
    expect(
      sendsOf(token)
        .map((c) => c.params.text)
        .sort(),
    ).toEqual(['batch one', 'batch three']);

    const tooMany = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: Array.from({ length: 101 }, () => ({ to: '1', type: 'text', text: 'x' })) })
      .expect(400);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'messages' })]);
  });

  it('queued messages of a deleted instance end failed with the reason instance_deleted, never sent', async () => {
    const { id, token } = await newInstance();
    tg.failNextWithFloodWait('sendMessage', 3);
    const res = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: ['a', 'b', 'c'].map((text) => ({ to: '31337', type: 'text', text })) })
      .expect(202);
    const ids: string[] = res.body.queued.map((q: { id: string }) => q.id);
    await eventually(async () => sendsOf(token).length === 1, 10_000, 'the first (429) attempt');
    await alice.del(`/api/instances/${id}`).expect(200);

    const queue = t.app.get<Queue>(getQueueToken(QueueName.MessageSend));
    for (const messageId of ids) {
      const reason = await eventually(
        async () => (await queue.getJob(messageId))?.failedReason,
        15_000,
        `job ${messageId} failed`,
      );
      expect(reason).toMatch(/^instance_deleted: instance .* was deleted before message .* was sent/);
    }
    expect(sendsOf(token)).toHaveLength(1);
    expect(await t.db.query('SELECT id FROM messages WHERE id = ANY($1::uuid[])', [ids])).toEqual([]);
  });

  it('queued messages of a logged-out instance end failed with message_failed naming the reason', async () => {
    const { id, token } = await newInstance();
    tg.failNextWithFloodWait('sendMessage', 2);
    const res = await alice
      .post(`/api/instances/${id}/messages/batch`)
      .send({ messages: ['x', 'y'].map((text) => ({ to: '2024', type: 'text', text })) })
      .expect(202);
    const ids: string[] = res.body.queued.map((q: { id: string }) => q.id);
    await eventually(async () => sendsOf(token).length === 1, 10_000, 'the first (429) attempt');
    await alice.post(`/api/instances/${id}/logout`).expect((r) => expect(r.status).toBeLessThan(300));

    for (const messageId of ids) {
      const hook = await eventFor(messageId, 'message_failed');
      expect(envelope(hook).data).toMatchObject({
        status: 'failed',
        error: { code: 'instance_disconnected', message: expect.stringMatching(/logged out/) },
      });
      const m = await alice.get(`/api/instances/${id}/messages/${messageId}`).expect(200);
      expect(m.body).toMatchObject({ status: 'failed', error: { code: 'instance_disconnected' } });
    }
    expect(sendsOf(token)).toHaveLength(1);
  });
});
