import { request } from 'undici';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT_A = '7100001:AAdashboard-alice';
const BOT_B = '7100002:BBdashboard-bob';

/**
 * The routes the dashboard added (issue 12): provider config schemas, the inbox across instances
 * with unread counts and the seen marker, the account-wide event stream, daily usage and delivery
 * counts in the user's stats, and the account name in an instance's config.
 */
describe('Dashboard API: providers, inbox, account stream, user stats (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bob: TestTenant;
  let aliceInstance: string;
  let bobInstance: string;

  const createBot = async (who: TestTenant, token: string, name: string) =>
    (
      await who
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name,
          config: { botToken: token },
          webhookUrl: receiver.url(),
          maxRetries: 0,
        })
        .expect(201)
    ).body.id as string;

  const chatOf = async (who: TestTenant, text: string) =>
    eventually(
      async () => {
        const res = await who.get('/api/chats').expect(200);
        return res.body.chats.find(
          (c: { lastMessage: { text: string } | null }) => c.lastMessage?.text === text,
        );
      },
      10_000,
      `a chat whose last message is "${text}"`,
    );

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT_A, { username: 'alice_shop_bot' });
    tg.addBot(BOT_B, { username: 'bob_shop_bot' });
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      TELEGRAM_API_ROOT: tg.apiRoot,
      PUBLIC_BASE_URL: undefined,
      USAGE_FLUSH_INTERVAL_MS: '200',
    });
    alice = await createTenant(t);
    bob = await createTenant(t);
    aliceInstance = await createBot(alice, BOT_A, 'Alice shop');
    bobInstance = await createBot(bob, BOT_B, 'Bob shop');
  });

  afterAll(async () => {
    await t.close();
    await tg.stop();
    await receiver.stop();
  });

  it('GET /api/providers: capabilities and the JSON Schema of each config, secrets writeOnly', async () => {
    const res = await alice.get('/api/providers').expect(200);
    const keys = res.body.providers.map((p: { provider: string }) => p.provider);
    expect(keys).toEqual(
      expect.arrayContaining(['telegram', 'whatsapp-official', 'facebook-messenger', 'instagram']),
    );
    const telegram = res.body.providers.find((p: { provider: string }) => p.provider === 'telegram');
    expect(telegram.capabilities).toMatchObject({ provider: 'telegram', mediaUpload: false, qrLogin: false });
    expect(telegram.configSchema).toEqual({
      type: 'object',
      properties: {
        botToken: { type: 'string', pattern: '^\\d+:[A-Za-z0-9_-]+$', writeOnly: true, format: 'password' },
      },
      required: ['botToken'],
    });
    const whatsapp = res.body.providers.find((p: { provider: string }) => p.provider === 'whatsapp-official');
    expect(whatsapp.configSchema.required).toEqual(
      expect.arrayContaining(['phoneNumberId', 'accessToken', 'appSecret', 'webhookVerifyToken']),
    );
    expect(whatsapp.configSchema.required).not.toContain('version');
    expect(whatsapp.configSchema.properties.accessToken).toMatchObject({
      writeOnly: true,
      format: 'password',
    });
    expect(whatsapp.configSchema.properties.phoneNumberId.writeOnly).toBeUndefined();
    const instagram = res.body.providers.find((p: { provider: string }) => p.provider === 'instagram');
    expect(instagram.configSchema.properties.login).toMatchObject({ enum: ['instagram', 'facebook'] });
    await request(`${t.baseUrl}/api/providers`).then(async (r) => {
      expect(r.statusCode).toBe(401);
      await r.body.dump();
    });
  });

  it('GET /api/instances/:id names the account people see (config.accountName)', async () => {
    const res = await alice.get(`/api/instances/${aliceInstance}`).expect(200);
    expect(res.body.config).toMatchObject({ botUsername: 'alice_shop_bot', accountName: '@alice_shop_bot' });
  });

  it('GET /api/chats lists the caller’s chats across instances with the last message and unread count', async () => {
    await tg.simulateInbound({ token: BOT_A, chatId: 5001, firstName: 'Carol', text: 'first from Carol' });
    await chatOf(alice, 'first from Carol');
    await tg.simulateInbound({ token: BOT_A, chatId: 5001, firstName: 'Carol', text: 'second from Carol' });
    await tg.simulateInbound({ token: BOT_B, chatId: 6001, firstName: 'Dave', text: 'hello Bob' });
    const carol = await chatOf(alice, 'second from Carol');
    expect(carol).toMatchObject({
      instanceId: aliceInstance,
      instanceName: 'Alice shop',
      provider: 'telegram',
      providerChatId: '5001',
      type: 'private',
      contactName: 'Carol',
      unreadCount: 2,
      lastReadAt: null,
      lastMessage: { direction: 'in', type: 'text', text: 'second from Carol', status: 'received' },
    });
    await chatOf(bob, 'hello Bob');

    const mine = await alice.get('/api/chats').expect(200);
    expect(mine.body.chats.map((c: { instanceId: string }) => c.instanceId)).toEqual([aliceInstance]);
    expect(mine.body.pagination).toEqual({ total: 1, limit: 50, skip: 0, hasMore: false });

    const asAdmin = await t
      .http()
      .get('/api/chats')
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    // other spec files share the run's database: the admin sees their chats too
    expect(asAdmin.body.chats.map((c: { instanceId: string }) => c.instanceId)).toEqual(
      expect.arrayContaining([aliceInstance, bobInstance]),
    );
    const onlyBob = await t
      .http()
      .get(`/api/chats?instanceId=${bobInstance}&limit=1`)
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    expect(onlyBob.body.chats).toHaveLength(1);
    expect(onlyBob.body.chats[0].instanceId).toBe(bobInstance);
    const past = await alice.get('/api/chats?skip=5').expect(200);
    expect(past.body).toEqual({ chats: [], pagination: { total: 1, limit: 50, skip: 5, hasMore: false } });

    const bad = await alice.get('/api/chats?instanceId=nope').expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'instanceId' })]);
  });

  it('an outbound reply becomes the last message; seen resets the unread count until the next inbound', async () => {
    const carol = await chatOf(alice, 'second from Carol');
    await alice
      .post(`/api/instances/${aliceInstance}/messages`)
      .send({ to: '5001', type: 'text', text: 'on our way' })
      .expect(201);
    const afterReply = await chatOf(alice, 'on our way');
    expect(afterReply).toMatchObject({
      id: carol.id,
      unreadCount: 2,
      lastMessage: { direction: 'out', status: 'sent' },
    });

    const seen = await alice.post(`/api/instances/${aliceInstance}/chats/${carol.id}/seen`).expect(200);
    expect(seen.body).toEqual({ chatId: carol.id, lastReadAt: expect.any(String), unreadCount: 0 });
    const [row] = await t.db.query('SELECT last_read_at FROM chats WHERE id = $1', [carol.id]);
    expect(new Date(row.last_read_at).toISOString()).toBe(seen.body.lastReadAt);
    expect((await chatOf(alice, 'on our way')).unreadCount).toBe(0);

    await tg.simulateInbound({ token: BOT_A, chatId: 5001, firstName: 'Carol', text: 'thanks!' });
    expect((await chatOf(alice, 'thanks!')).unreadCount).toBe(1);
    // by the provider's chat id too
    await alice.post(`/api/instances/${aliceInstance}/chats/5001/seen`).expect(200);
    expect((await chatOf(alice, 'thanks!')).unreadCount).toBe(0);
  });

  it('seen is scoped like every instance route: 404 for someone else’s instance or an unknown chat', async () => {
    const carol = await chatOf(alice, 'thanks!');
    const other = await bob.post(`/api/instances/${aliceInstance}/chats/${carol.id}/seen`).expect(404);
    expect(other.body.code).toBe('not_found');
    await alice.post(`/api/instances/${aliceInstance}/chats/99999/seen`).expect(404);
    const [row] = await t.db.query('SELECT last_read_at FROM chats WHERE id = $1', [carol.id]);
    expect(row.last_read_at).not.toBeNull();
  });

  it('GET /api/events/stream follows all the caller’s instances, new ones included, and no one else’s', async () => {
    const res = await request(`${t.baseUrl}/api/events/stream`, {
      headers: { 'x-api-key': alice.apiKey, accept: 'text/event-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    let text = '';
    res.body.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    await new Promise((r) => setTimeout(r, 400)); // the stream starts after the current last event
    tg.addBot('7100003:CCdashboard-alice2', { username: 'alice_second_bot' });
    const second = await createBot(alice, '7100003:CCdashboard-alice2', 'Alice second');
    await tg.simulateInbound({ token: BOT_B, chatId: 6001, firstName: 'Dave', text: 'not for Alice' });
    await tg.simulateInbound({
      token: '7100003:CCdashboard-alice2',
      chatId: 7001,
      firstName: 'Eve',
      text: 'to the new bot',
    });
    await eventually(
      async () => text.includes('to the new bot'),
      10_000,
      'the new instance’s message on the stream',
    );
    const frames = text
      .split('\n\n')
      .filter((f) => f.includes('data: '))
      .map((f) => JSON.parse(/data: (.*)/.exec(f)![1]));
    expect(frames.every((e) => e.instanceId === aliceInstance || e.instanceId === second)).toBe(true);
    expect(frames.find((e) => e.event === 'message_received')).toMatchObject({
      instanceId: second,
      provider: 'telegram',
      data: { text: 'to the new bot' },
    });
    await eventually(
      async () => (await chatOf(bob, 'not for Alice')) && true,
      10_000,
      'Bob’s message stored',
    );
    expect(text).not.toContain('not for Alice');
    res.body.destroy();

    const anon = await request(`${t.baseUrl}/api/events/stream`);
    expect(anon.statusCode).toBe(401);
    await anon.body.dump();
  });

  it('GET /api/stats/user adds messages per day and deliveries by status', async () => {
    const today = new Date().toISOString().slice(0, 10);
    // Carol's three messages and Eve's one; the reply to Carol
    const stats = await eventually(
      async () => {
        const res = await alice.get('/api/stats/user?period=week').expect(200);
        const day = res.body.daily.find((d: { date: string }) => d.date === `${today}T00:00:00.000Z`);
        return day?.messagesReceived === 4 ? res.body : null;
      },
      10_000,
      'flushed usage',
    );
    expect(stats.daily).toHaveLength(1);
    expect(stats.daily[0]).toMatchObject({ messagesReceived: 4, messagesSent: 1 });
    const [counts] = await t.db.query(
      `SELECT count(*) FILTER (WHERE d.status = 'succeeded')::int AS succeeded, count(*)::int AS all
         FROM webhook_deliveries d JOIN instances i ON i.id = d.instance_id WHERE i.user_id = $1`,
      [alice.userId],
    );
    expect(
      stats.deliveries.succeeded + stats.deliveries.pending + stats.deliveries.failed + stats.deliveries.dead,
    ).toBe(counts.all);
    expect(stats.deliveries.succeeded).toBe(counts.succeeded);
    expect(Object.keys(stats.deliveries).sort()).toEqual(['dead', 'failed', 'pending', 'succeeded']);
  });
});
