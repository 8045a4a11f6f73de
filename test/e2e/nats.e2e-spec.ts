import { createHash } from 'node:crypto';
import { connect, headers as natsHeaders, Msg, NatsConnection } from '@nats-io/transport-node';
import { FakeGraphApi, GRAPH_ERRORS } from '../fakes/fake-graph-api';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { freePort } from '../utils/free-port';
import { NatsServerProcess } from '../utils/nats-server';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

/** Phone number ids of their own: the run's database is shared with the other specs (ids are unique). */
const PHONE = '100000000001310';
const TOKEN = 'EAAGm0PX4ZCpsBAKseedtoken1';
const TOKEN_2 = 'EAAGm0PX4ZCpsBAKseedtoken2';
const APP_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const VERIFY = 'seed-verify-token';
/** A second number, created through the API with its WABA id (exact `.in.webhook` bodies). */
const PHONE_2 = '100000000001320';
const TOKEN_P2 = 'EAAGm0PX4ZCpsBAKapitoken2';
const WABA = '102290129340398';
const BOT = '7000000001:AAHfakeTokenForNatsSpec000000000000';
/** A bot created while PUBLIC_BASE_URL is unset: getUpdates polling (a connection, no webhook request). */
const POLL_BOT = '7000000002:AAHfakeTokenForNatsSpecPolling00000';
const STREAM = 'SBTEST';

/** The env of the connector seed's `.env`, as its README shows it. */
const seedEnv = (token: string) => ({
  WA_MY_ACCOUNT: `${PHONE}:${token}`,
  WEBHOOK_VERIFY_TOKEN: VERIFY,
  APP_SECRET,
  API_VERSION: 'v21.0',
});

function change(phoneNumberId: string, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

const contacts = [{ profile: { name: 'Анна Смирнова' }, wa_id: '79001234567' }];
const messageWebhook = (phoneNumberId: string, msg: Record<string, unknown>) =>
  change(phoneNumberId, { contacts, messages: [msg] });

/** The seed's README samples (seeds/whatsapp-cloud-connector.md § входящие сообщения). */
const TEXT = {
  from: '79001234567',
  id: 'wamid.HBgLNATStext0001',
  timestamp: '1708300000',
  type: 'text',
  text: { body: 'Привет, бот!' },
};
const IMAGE = {
  from: '79001234567',
  id: 'wamid.HBgLNATSimage001',
  timestamp: '1708300001',
  type: 'image',
  image: { id: '1234567890', mime_type: 'image/jpeg', sha256: 'abc123', caption: 'Подпись к фото' },
};
const REPLY = {
  from: '79001234567',
  id: 'wamid.HBgLNATSreply001',
  timestamp: '1708300009',
  type: 'text',
  text: { body: 'Это ответ' },
  context: { from: '79009876543', id: 'wamid.HBgL_original' },
};
const REACTION = {
  from: '79001234567',
  id: 'wamid.HBgLNATSreact001',
  timestamp: '1708300008',
  type: 'reaction',
  reaction: { message_id: 'wamid.HBgLNATStext0001', emoji: '👍' },
};
const STATUS = {
  id: 'wamid.HBgLNATSstatus01',
  status: 'delivered',
  timestamp: '1708300010',
  recipient_id: '79001234567',
  conversation: { id: 'conv123', origin: { type: 'user_initiated' }, expiration_timestamp: '1708400000' },
  pricing: { billable: true, pricing_model: 'CBP', category: 'user_initiated' },
};
const ERROR = {
  code: 131051,
  title: 'Message type unknown',
  message: 'Message type unknown',
  error_data: { details: 'Message type is currently not supported.' },
};

/** Every message seen on the subjects a spec subscribed to, with its Nats-Msg-Id. */
interface Seen {
  subject: string;
  msgId: string | undefined;
  data: unknown;
  /** The message's bytes as UTF-8. */
  raw: string;
}

const sha256 = (s: string) => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');

/**
 * NATS end to end against a real `nats-server -js` started on a free port (not a mock): the
 * connector seed's `.env` provisioning and `/webhook` alias, every seed subject with the exact
 * objects of signed WhatsApp webhooks, every seed outbound body as the Graph body and reply, the
 * 131030 error reply and `.error` publication, `raw`, validation replies, Telegram under the same
 * scheme, `switchboard.*` envelopes, and the slug rules.
 */
describe('NATS connector (e2e)', () => {
  let nats: NatsServerProcess;
  let graph: FakeGraphApi;
  let tg: FakeTelegramApi;
  let t: TestApp;
  let nc: NatsConnection;
  let alice: TestTenant;
  let port: number;
  const seen: Seen[] = [];

  /** `publicBaseUrl` null: unset (Telegram instances created then poll getUpdates). */
  const boot = async (token: string, publicBaseUrl: string | null = `http://127.0.0.1:${port}`) => {
    t = await startTestApp(
      {
        NATS_URL: nats.url,
        NATS_STREAM: STREAM,
        GRAPH_API_BASE_URL: graph.baseUrl,
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: publicBaseUrl ?? undefined,
        ...seedEnv(token),
      },
      port,
    );
  };
  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);
  const on = (subject: string) => seen.filter((s) => s.subject === subject);
  const waitFor = (subject: string, n = 1) =>
    eventually(async () => on(subject).length >= n && on(subject), 10_000, `${n} message(s) on ${subject}`);
  const push = (path: string, body: unknown, secret = APP_SECRET) =>
    graph.pushWebhook(`${t.baseUrl}${path}`, body, secret);
  const req = async (subject: string, body: unknown, msgId?: string) => {
    const h = natsHeaders();
    if (msgId) h.set('Nats-Msg-Id', msgId);
    const m = await nc.request(subject, JSON.stringify(body), { timeout: 5000, headers: h });
    return m.json<Record<string, unknown>>();
  };
  const lastGraphBody = () => graph.lastCall(new RegExp(`^/${PHONE}/messages$`), 'POST')?.body;

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, { token: TOKEN });
    graph.addPhoneNumber(PHONE_2, { token: TOKEN_P2 });
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'nats_bot' });
    tg.addBot(POLL_BOT, { username: 'nats_poll_bot' });
    port = await freePort();
    await boot(TOKEN);
    alice = await createTenant(t);
    nc = await connect({ servers: nats.url });
    for (const subject of ['whatsapp.>', 'telegram.>', 'switchboard.>']) {
      nc.subscribe(subject, {
        callback: (_err, m: Msg) => {
          // requests (`out`) and their replies are not what these assertions are about
          if (m.subject.includes('.out.')) return;
          seen.push({
            subject: m.subject,
            msgId: m.headers?.get('Nats-Msg-Id'),
            data: m.json(),
            raw: m.string(),
          });
        },
      });
    }
    await nc.flush();
  });

  afterAll(async () => {
    await nc?.close();
    await t?.close();
    await graph?.stop();
    await tg?.stop();
    await nats?.destroy();
  });

  describe('the seed .env and the /webhook alias', () => {
    it('provisions WA_MY_ACCOUNT as a whatsapp-official instance with slug my_account, owned by the first admin, secrets encrypted', async () => {
      const [row] = await rows(
        `SELECT i.id, i.slug, i.name, i.provider, u.role, u.email, w.phone_number_id, w.access_token_enc, w.app_secret_enc, w.version
           FROM instances i JOIN users u ON u.id = i.user_id JOIN whatsapp_official_instances w ON w.instance_id = i.id
          WHERE i.provider = 'whatsapp-official' AND i.slug = 'my_account'`,
      );
      expect(row).toMatchObject({
        slug: 'my_account',
        name: 'my_account',
        provider: 'whatsapp-official',
        role: 'admin',
        email: process.env.ADMIN_EMAIL,
        phone_number_id: PHONE,
        version: 'v21.0',
      });
      expect(row.access_token_enc).not.toContain(TOKEN);
      expect(row.app_secret_enc).not.toContain(APP_SECRET);
      // the credential check went to Graph with the seed's token and API version
      const check = graph.lastCall(new RegExp(`^/${PHONE}$`), 'GET');
      expect(check).toMatchObject({ token: TOKEN, version: 'v21.0' });
      const view = await t
        .http()
        .get(`/api/instances/${row.id}`)
        .set('authorization', `Bearer ${t.adminToken}`)
        .expect(200);
      expect(view.body).toMatchObject({ slug: 'my_account', provider: 'whatsapp-official' });
      expect(JSON.stringify(view.body)).not.toContain(TOKEN);
    });

    it('answers the Meta handshake on GET /webhook with WEBHOOK_VERIFY_TOKEN, and 403 for another token', async () => {
      const ok = await t
        .http()
        .get('/webhook')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY, 'hub.challenge': '1158201444' })
        .expect(200);
      expect(ok.text).toBe('1158201444');
      const bad = await t
        .http()
        .get('/webhook')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' })
        .expect(403);
      expect(bad.headers['content-type']).toContain('application/problem+json');
    });

    it('refuses an unsigned POST /webhook with 401 and stores nothing', async () => {
      const before = await rows('SELECT count(*)::int AS n FROM inbound_events');
      const res = await push(
        '/webhook',
        messageWebhook(PHONE, { ...TEXT, id: 'wamid.unsigned' }),
        'wrong-secret',
      );
      expect(res.status).toBe(401);
      expect(await rows('SELECT count(*)::int AS n FROM inbound_events')).toEqual(before);
    });
  });

  describe('inbound subjects (WhatsApp)', () => {
    it('a text on POST /webhook → in.webhook (the body), in.message and in.message.text (the message as received), each with its own Nats-Msg-Id', async () => {
      const body = messageWebhook(PHONE, TEXT);
      const res = await push('/webhook', body);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ ok: true, stored: 1 });
      const [webhook] = await waitFor('whatsapp.my_account.in.webhook');
      // the request body as received, bytes and all (Meta's \uXXXX escapes), WABA id included
      expect(webhook.data).toEqual(body);
      expect(webhook.raw).toBe(res.raw);
      const [request] = await rows(
        `SELECT r.instance_id, r.body, r.body_sha256 FROM inbound_requests r JOIN instances i ON i.id = r.instance_id
          WHERE i.slug = 'my_account' AND r.provider = 'whatsapp-official'`,
      );
      expect(request).toEqual({
        instance_id: expect.any(String),
        body: res.raw,
        body_sha256: sha256(res.raw),
      });
      expect(webhook.msgId).toBe(`req:whatsapp-official:${request.instance_id}:${sha256(res.raw)}`);
      const [message] = await waitFor('whatsapp.my_account.in.message');
      const [typed] = await waitFor('whatsapp.my_account.in.message.text');
      expect(message.data).toEqual(TEXT);
      expect(typed.data).toEqual(TEXT);
      const [archived] = await rows(
        `SELECT ie.id::text FROM inbound_events ie JOIN instances i ON i.id = ie.instance_id WHERE i.slug = 'my_account' AND ie.provider_event_id = $1`,
        [TEXT.id],
      );
      expect(message.msgId).toBe(`in:${archived.id}:message`);
      expect(typed.msgId).toBe(`in:${archived.id}:message.text`);
      // the item references its request, and gets no in.webhook of its own
      expect(seen.filter((s) => s.msgId === `in:${archived.id}:webhook`)).toEqual([]);
      // and the client-webhook event, as its envelope
      const [event] = await waitFor('switchboard.whatsapp.my_account.message_received');
      const [ev] = await rows(
        `SELECT e.id FROM events e JOIN instances i ON i.id = e.instance_id WHERE i.slug = 'my_account' AND e.type = 'message_received' ORDER BY e.sequence DESC LIMIT 1`,
      );
      expect(event.msgId).toBe(`ev:${ev.id}`);
      expect(event.data).toMatchObject({
        id: ev.id,
        event: 'message_received',
        provider: 'whatsapp-official',
        data: { text: 'Привет, бот!', providerMessageId: TEXT.id },
      });
    });

    it('a Meta redelivery of the same webhook publishes nothing new', async () => {
      const before = on('whatsapp.my_account.in.message').length;
      const res = await push('/webhooks/whatsapp', messageWebhook(PHONE, TEXT));
      expect(JSON.parse(res.text)).toMatchObject({ duplicates: 1, stored: 0 });
      await new Promise((r) => setTimeout(r, 500));
      expect(on('whatsapp.my_account.in.message')).toHaveLength(before);
      // same bytes as the first delivery on /webhook: the request is not archived twice
      expect(on('whatsapp.my_account.in.webhook')).toHaveLength(1);
      expect(
        await rows(
          `SELECT count(*)::int AS n FROM inbound_requests r JOIN instances i ON i.id = r.instance_id WHERE i.slug = 'my_account'`,
        ),
      ).toEqual([{ n: 1 }]);
    });

    it('image, reply with context and reaction arrive on in.message and in.message.<type> exactly as received', async () => {
      for (const msg of [IMAGE, REPLY, REACTION]) {
        expect((await push('/webhooks/whatsapp', messageWebhook(PHONE, msg))).status).toBe(200);
      }
      await waitFor('whatsapp.my_account.in.message', 4);
      expect(on('whatsapp.my_account.in.message').map((s) => s.data)).toEqual(
        expect.arrayContaining([IMAGE, REPLY, REACTION]),
      );
      expect((await waitFor('whatsapp.my_account.in.message.image'))[0].data).toEqual(IMAGE);
      expect((await waitFor('whatsapp.my_account.in.message.reaction'))[0].data).toEqual(REACTION);
      expect((await waitFor('whatsapp.my_account.in.message.text', 2)).map((s) => s.data)).toContainEqual(
        REPLY,
      );
    });

    it('a status → in.status, and an errors[] change → in.error, each object as received', async () => {
      await push('/webhook', change(PHONE, { statuses: [STATUS] }));
      const [status] = await waitFor('whatsapp.my_account.in.status');
      expect(status.data).toEqual(STATUS);
      const errors = change(PHONE, { errors: [ERROR] });
      await push('/webhook', errors);
      const [error] = await waitFor('whatsapp.my_account.in.error');
      expect(error.data).toEqual(ERROR);
      // an unmodeled change is archived as a skip: its whole webhook is still on in.webhook
      const hooks = await waitFor('whatsapp.my_account.in.webhook', 6);
      expect(hooks.map((h) => h.data)).toContainEqual(errors);
    });

    it('two messages and a status in one body → ONE in.webhook with the body as sent (key order too), two in.message, one in.status; a redelivery publishes nothing new', async () => {
      const m1 = { ...TEXT, id: 'wamid.HBgLNATSbatch001', text: { body: 'первое' } };
      const m2 = { ...IMAGE, id: 'wamid.HBgLNATSbatch002' };
      const st = { ...STATUS, id: 'wamid.HBgLNATSbatch003', status: 'read' };
      const metadata = { display_phone_number: '15550783881', phone_number_id: PHONE };
      // keys in an order of their own (object last): the body must come out in the same order
      const body = {
        entry: [
          {
            changes: [
              {
                field: 'messages',
                value: { messaging_product: 'whatsapp', metadata, contacts, messages: [m1, m2] },
              },
              { value: { statuses: [st], metadata, messaging_product: 'whatsapp' }, field: 'messages' },
            ],
            id: WABA,
          },
        ],
        object: 'whatsapp_business_account',
      };
      const subjects = ['webhook', 'message', 'status'].map((k) => `whatsapp.my_account.in.${k}`);
      const before = subjects.map((s) => on(s).length);
      const res = await push('/webhooks/whatsapp', body);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ ok: true, stored: 2, duplicates: 0 });
      await waitFor(subjects[0], before[0] + 1);
      await waitFor(subjects[1], before[1] + 2);
      await waitFor(subjects[2], before[2] + 1);
      await new Promise((r) => setTimeout(r, 500));
      const [hooks, messages, statuses] = subjects.map((s, i) => on(s).slice(before[i]));
      expect(hooks).toHaveLength(1);
      expect(hooks[0].data).toEqual(body);
      expect(JSON.stringify(hooks[0].data)).toBe(JSON.stringify(body));
      expect(hooks[0].raw).toBe(res.raw);
      const [instance] = await rows(
        `SELECT id FROM instances WHERE provider = 'whatsapp-official' AND slug = 'my_account'`,
      );
      expect(hooks[0].msgId).toBe(`req:whatsapp-official:${instance.id}:${sha256(res.raw)}`);
      expect(messages.map((m) => m.data)).toEqual([m1, m2]);
      expect(statuses.map((m) => m.data)).toEqual([st]);
      // the three archived items reference the one archived request
      const archived = await rows(
        `SELECT ie.provider_event_id, r.body_sha256 FROM inbound_events ie JOIN inbound_requests r ON r.id = ie.request_id
          WHERE ie.instance_id = $1 AND r.body_sha256 = $2 ORDER BY ie.id`,
        [instance.id, sha256(res.raw)],
      );
      expect(archived).toHaveLength(3);

      const again = await push('/webhooks/whatsapp', body);
      expect(JSON.parse(again.text)).toMatchObject({ stored: 0, duplicates: 3 });
      await new Promise((r) => setTimeout(r, 700));
      expect(subjects.map((s) => on(s).length)).toEqual([before[0] + 1, before[1] + 2, before[2] + 1]);
      expect(
        await rows(
          `SELECT count(*)::int AS n FROM inbound_requests WHERE instance_id = $1 AND body_sha256 = $2`,
          [instance.id, sha256(res.raw)],
        ),
      ).toEqual([{ n: 1 }]);
    });

    it('an instance created through the API with its wabaId gets the webhook body exactly as Meta sent it', async () => {
      const created = await alice
        .post('/api/instances')
        .send({
          provider: 'whatsapp-official',
          name: 'Sales Line',
          config: {
            phoneNumberId: PHONE_2,
            accessToken: TOKEN_P2,
            appSecret: APP_SECRET,
            webhookVerifyToken: 'verify-2',
            wabaId: WABA,
          },
        })
        .expect(201);
      expect(created.body.slug).toBe('sales_line');
      const body = messageWebhook(PHONE_2, { ...TEXT, id: 'wamid.HBgLNATSsales001' });
      await push('/webhook', body);
      const [hook] = await waitFor('whatsapp.sales_line.in.webhook');
      expect(hook.data).toEqual(body);
    });
  });

  describe('outbound requests (WhatsApp)', () => {
    it('sendMessage: the seed body → the Graph text body; the reply is the Graph response; stored and evented', async () => {
      const reply = await req('whatsapp.my_account.out.sendMessage', { to: '79001234567', text: 'Привет!' });
      expect(lastGraphBody()).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '79001234567',
        type: 'text',
        text: { body: 'Привет!' },
      });
      expect(reply).toEqual({
        messaging_product: 'whatsapp',
        contacts: [{ input: '79001234567', wa_id: '79001234567' }],
        messages: [{ id: expect.stringMatching(/^wamid\.FAKE/) }],
      });
      const wamid = (reply.messages as { id: string }[])[0].id;
      const [m] = await rows(`SELECT direction, status, text FROM messages WHERE provider_message_id = $1`, [
        wamid,
      ]);
      expect(m).toEqual({ direction: 'out', status: 'sent', text: 'Привет!' });
      const events = await waitFor('switchboard.whatsapp.my_account.message_sent');
      expect(
        events.map((e) => (e.data as { data: { providerMessageId: string } }).data.providerMessageId),
      ).toContain(wamid);
    });

    it('sendMessage with preview_url and reply_to', async () => {
      await req('whatsapp.my_account.out.sendMessage', {
        to: '79001234567',
        text: 'Смотри https://example.com',
        preview_url: true,
        reply_to: TEXT.id,
      });
      expect(lastGraphBody()).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '79001234567',
        context: { message_id: TEXT.id },
        type: 'text',
        text: { body: 'Смотри https://example.com', preview_url: true },
      });
    });

    const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '79001234567' };
    it.each([
      [
        'sendImage',
        { to: '79001234567', link: 'https://example.com/image.jpg', caption: 'Подпись' },
        { type: 'image', image: { link: 'https://example.com/image.jpg', caption: 'Подпись' } },
      ],
      [
        'sendImage',
        { to: '79001234567', media_id: '1234567890', caption: 'Подпись' },
        { type: 'image', image: { id: '1234567890', caption: 'Подпись' } },
      ],
      [
        'sendDocument',
        {
          to: '79001234567',
          link: 'https://example.com/report.pdf',
          caption: 'Отчёт',
          filename: 'report.pdf',
        },
        {
          type: 'document',
          document: { link: 'https://example.com/report.pdf', caption: 'Отчёт', filename: 'report.pdf' },
        },
      ],
      [
        'sendVideo',
        { to: '79001234567', link: 'https://example.com/video.mp4', caption: 'Видео' },
        { type: 'video', video: { link: 'https://example.com/video.mp4', caption: 'Видео' } },
      ],
      [
        'sendAudio',
        { to: '79001234567', link: 'https://example.com/audio.mp3' },
        { type: 'audio', audio: { link: 'https://example.com/audio.mp3' } },
      ],
      [
        'sendSticker',
        { to: '79001234567', media_id: '1234567890' },
        { type: 'sticker', sticker: { id: '1234567890' } },
      ],
      [
        'sendLocation',
        {
          to: '79001234567',
          latitude: 55.755811,
          longitude: 37.617617,
          name: 'Красная площадь',
          address: 'Москва',
        },
        {
          type: 'location',
          location: { latitude: 55.755811, longitude: 37.617617, name: 'Красная площадь', address: 'Москва' },
        },
      ],
      [
        'sendContact',
        {
          to: '79001234567',
          contacts: [
            {
              name: { formatted_name: 'Анна Смирнова', first_name: 'Анна' },
              phones: [{ phone: '+79001234567', type: 'CELL' }],
            },
          ],
        },
        {
          type: 'contacts',
          contacts: [
            {
              name: { formatted_name: 'Анна Смирнова', first_name: 'Анна' },
              phones: [{ phone: '+79001234567', type: 'CELL' }],
            },
          ],
        },
      ],
      [
        'sendTemplate',
        {
          to: '79001234567',
          template: {
            name: 'hello_world',
            language: { code: 'ru' },
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'Иван' }] }],
          },
        },
        {
          type: 'template',
          template: {
            name: 'hello_world',
            language: { code: 'ru' },
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'Иван' }] }],
          },
        },
      ],
      [
        'sendReaction',
        { to: '79001234567', message_id: TEXT.id, emoji: '👍' },
        { type: 'reaction', reaction: { message_id: TEXT.id, emoji: '👍' } },
      ],
      [
        'sendReaction',
        { to: '79001234567', message_id: TEXT.id, emoji: '' },
        { type: 'reaction', reaction: { message_id: TEXT.id, emoji: '' } },
      ],
    ])('%s %j → the Graph body, replied with the Graph response', async (action, body, graphPart) => {
      const reply = await req(`whatsapp.my_account.out.${action}`, body);
      expect(lastGraphBody()).toEqual({ ...envelope, ...graphPart });
      expect(reply).toMatchObject({ messaging_product: 'whatsapp', messages: [{ id: expect.any(String) }] });
    });

    it('markRead {message_id} → the Graph read receipt, replied {success: true}', async () => {
      const reply = await req('whatsapp.my_account.out.markRead', { message_id: TEXT.id });
      expect(lastGraphBody()).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: TEXT.id });
      expect(reply).toEqual({ success: true });
    });

    it('Graph 131030 → the reply {action, code, message, type, request}, also published on whatsapp.<name>.error', async () => {
      graph.failNext(new RegExp(`^/${PHONE}/messages$`), GRAPH_ERRORS.notAllowed);
      const body = { to: '79001234567', text: 'not allowed' };
      const reply = await req('whatsapp.my_account.out.sendMessage', body);
      const expected = {
        action: 'sendMessage',
        code: 131030,
        message: '(#131030) Recipient phone number not in allowed list',
        type: 'OAuthException',
        request: body,
      };
      expect(reply).toEqual(expected);
      const [published] = await waitFor('whatsapp.my_account.error');
      expect(published.data).toEqual(expected);
      const [failed] = await rows(
        `SELECT m.status, m.error FROM messages m JOIN instances i ON i.id = m.instance_id WHERE i.slug = 'my_account' AND m.text = 'not allowed'`,
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatchObject({ code: 'recipient_not_allowed', providerCode: 131030 });
    });

    it('raw {body} → POST /<phone_number_id>/messages with the body as is; raw {path, body: {}} → GET /<path>', async () => {
      const body = {
        messaging_product: 'whatsapp',
        to: '79001234567',
        type: 'text',
        text: { body: 'Raw сообщение' },
      };
      const reply = await req('whatsapp.my_account.out.raw', { body });
      expect(lastGraphBody()).toEqual(body);
      expect(reply).toMatchObject({ messaging_product: 'whatsapp', messages: [{ id: expect.any(String) }] });
      graph.addMedia('1234567890', Buffer.from('jpeg'), 'image/jpeg');
      const media = await req('whatsapp.my_account.out.raw', { path: '1234567890', body: {} });
      expect(graph.lastCall(/^\/1234567890$/)).toMatchObject({ method: 'GET', token: TOKEN });
      expect(media).toMatchObject({ id: '1234567890', mime_type: 'image/jpeg', url: expect.any(String) });
    });

    it('a bad body gets an error reply naming the field (within the 5 s request timeout), and no Graph call', async () => {
      const calls = graph.calls.length;
      const reply = await req('whatsapp.my_account.out.sendMessage', { to: '79001234567', text: 5 });
      expect(reply).toMatchObject({
        action: 'sendMessage',
        code: 'validation_failed',
        type: 'switchboard',
        request: { to: '79001234567', text: 5 },
        errors: [expect.objectContaining({ field: 'text' })],
      });
      const unknown = await req('whatsapp.my_account.out.sendImage', {
        to: '79001234567',
        url: 'https://x.test/a.jpg',
      });
      expect(unknown).toMatchObject({
        code: 'validation_failed',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'url' })]),
      });
      const noMedia = await req('whatsapp.my_account.out.sendImage', { to: '79001234567' });
      expect(noMedia).toMatchObject({
        code: 'validation_failed',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'link' })]),
      });
      const notJson = await nc.request('whatsapp.my_account.out.sendMessage', '{nope', { timeout: 5000 });
      expect(notJson.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'body', message: 'not JSON' }],
      });
      const nobody = await req('whatsapp.nobody.out.sendMessage', { to: '79001234567', text: 'x' });
      expect(nobody).toMatchObject({ code: 'not_found', message: 'Instance whatsapp.nobody not found' });
      expect(graph.calls.length).toBe(calls);
    });

    it('the same Nats-Msg-Id twice → one Graph call and the same reply (idempotent like Idempotency-Key)', async () => {
      const before = graph.callsTo(new RegExp(`^/${PHONE}/messages$`), 'POST').length;
      const body = { to: '79001234567', text: 'once' };
      const first = await req('whatsapp.my_account.out.sendMessage', body, 'order-42');
      const second = await req('whatsapp.my_account.out.sendMessage', body, 'order-42');
      expect(second).toEqual(first);
      expect(graph.callsTo(new RegExp(`^/${PHONE}/messages$`), 'POST').length).toBe(before + 1);
      expect(
        await rows(
          `SELECT count(*)::int AS n FROM messages m JOIN instances i ON i.id = m.instance_id WHERE i.slug = 'my_account' AND m.text = 'once'`,
        ),
      ).toEqual([{ n: 1 }]);
    });
  });

  describe('every provider under the same scheme', () => {
    it("a Telegram instance's update → telegram.<slug>.in.message (the Bot API message object); sendMessage over NATS", async () => {
      const created = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'Support Bot', slug: 'support', config: { botToken: BOT } })
        .expect(201);
      expect(created.body.slug).toBe('support');
      const message = {
        message_id: 11223,
        from: { id: 12345678, is_bot: false, first_name: 'Анна', username: 'anna', language_code: 'ru' },
        chat: { id: 12345678, first_name: 'Анна', username: 'anna', type: 'private' },
        date: 1708300000,
        text: 'Hi from Telegram',
      };
      const res = await tg.sendWebhookUpdate(BOT, { update_id: 900001, message });
      expect(res.status).toBe(200);
      const [m] = await waitFor('telegram.support.in.message');
      expect(m.data).toEqual(message);
      expect((await waitFor('telegram.support.in.message.text'))[0].data).toEqual(message);
      const [hook] = await waitFor('telegram.support.in.webhook');
      expect(hook.data).toEqual({ update_id: 900001, message });
      // webhook mode: the update came as a request, archived and published by itself
      const [request] = await rows(`SELECT body, body_sha256 FROM inbound_requests WHERE instance_id = $1`, [
        created.body.id,
      ]);
      expect(JSON.parse(request.body)).toEqual({ update_id: 900001, message });
      expect(hook.msgId).toBe(`req:telegram:${created.body.id}:${request.body_sha256}`);
      const reply = await req('telegram.support.out.sendMessage', { to: '12345678', text: 'Hello back' });
      expect(reply).toMatchObject({
        direction: 'out',
        status: 'sent',
        text: 'Hello back',
        providerChatId: '12345678',
      });
      expect(tg.lastCall('sendMessage')?.params).toMatchObject({ chat_id: 12345678, text: 'Hello back' });
    });
  });

  describe('slugs', () => {
    const create = (body: Record<string, unknown>) =>
      alice.post('/api/instances').send({
        provider: 'whatsapp-official',
        config: {
          phoneNumberId: PHONE_2,
          accessToken: TOKEN_P2,
          appSecret: APP_SECRET,
          webhookVerifyToken: 'v',
        },
        ...body,
      });

    it('refuses a slug outside ^[a-z0-9_-]{1,64}$ (400 naming slug) and a taken one (409), storing nothing', async () => {
      const before = await rows('SELECT count(*)::int AS n FROM instances');
      const bad = await create({ name: 'x', slug: 'Bad.Slug' }).expect(400);
      expect(bad.body.errors).toContainEqual(expect.objectContaining({ field: 'slug' }));
      const taken = await create({ name: 'x', slug: 'my_account' }).expect(409);
      expect(taken.body).toMatchObject({ code: 'slug_taken' });
      expect(taken.body.detail).toContain('my_account');
      expect(await rows('SELECT count(*)::int AS n FROM instances')).toEqual(before);
    });

    it('PUT changes the slug (unique per provider) and the subjects follow it', async () => {
      const [{ id }] = await rows(
        `SELECT id FROM instances WHERE provider = 'whatsapp-official' AND slug = 'sales_line'`,
      );
      await alice.put(`/api/instances/${id}`).send({ slug: 'my_account' }).expect(409);
      const res = await alice.put(`/api/instances/${id}`).send({ slug: 'sales-2' }).expect(200);
      expect(res.body.slug).toBe('sales-2');
      await push('/webhook', messageWebhook(PHONE_2, { ...TEXT, id: 'wamid.HBgLNATSsales002' }));
      expect((await waitFor('whatsapp.sales-2.in.message'))[0].data).toMatchObject({
        id: 'wamid.HBgLNATSsales002',
      });
    });
  });

  describe('health', () => {
    it('reports nats in /health/ready and switchboard_nats_pending in /metrics', async () => {
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body.details.nats).toEqual({
        status: 'up',
        pending: expect.any(Number),
        max: 10000,
        connected: true,
      });
      const metrics = await t.http().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/^switchboard_nats_pending \d+$/m);
      expect(metrics.text).toMatch(/^switchboard_nats_published_total\{outcome="stored"\} \d+$/m);
    });
  });

  describe('a second boot with the same .env (a changed token)', () => {
    it('keeps one instance, updates the token (encrypted), and sends with the new one', async () => {
      const [before] = await rows(
        `SELECT id, (SELECT access_token_enc FROM whatsapp_official_instances WHERE instance_id = i.id) AS enc FROM instances i WHERE provider = 'whatsapp-official' AND slug = 'my_account'`,
      );
      await t.close();
      graph.addPhoneNumber(PHONE, { token: TOKEN_2 });
      await boot(TOKEN_2);
      const after = await rows(
        `SELECT i.id, w.access_token_enc AS enc FROM instances i JOIN whatsapp_official_instances w ON w.instance_id = i.id WHERE i.provider = 'whatsapp-official' AND i.slug = 'my_account'`,
      );
      expect(after).toHaveLength(1);
      expect(after[0].id).toBe(before.id);
      expect(after[0].enc).not.toBe(before.enc);
      expect(after[0].enc).not.toContain(TOKEN_2);
      await req('whatsapp.my_account.out.sendMessage', { to: '79001234567', text: 'after reboot' });
      expect(graph.lastCall(new RegExp(`^/${PHONE}/messages$`), 'POST')).toMatchObject({
        token: TOKEN_2,
        body: expect.objectContaining({ text: { body: 'after reboot' } }),
      });
    });
  });

  describe('a connection (Telegram getUpdates polling): no request', () => {
    it('each update still gets its own in.webhook (in:<archive id>:webhook), next to in.message', async () => {
      await t.close();
      await boot(TOKEN_2, null);
      const bob = await createTenant(t);
      const created = await bob
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'Poll Bot', slug: 'poller', config: { botToken: POLL_BOT } })
        .expect(201);
      const [mode] = await rows('SELECT mode FROM telegram_instances WHERE instance_id = $1', [
        created.body.id,
      ]);
      expect(mode).toEqual({ mode: 'polling' });
      const message = (n: number) => ({
        message_id: n,
        from: { id: 5001, is_bot: false, first_name: 'Polly' },
        chat: { id: 5001, first_name: 'Polly', type: 'private' },
        date: 1708300100 + n,
        text: `polled ${n}`,
      });
      const u1 = tg.pushUpdate(POLL_BOT, { message: message(1) });
      const u2 = tg.pushUpdate(POLL_BOT, { message: message(2) });
      const hooks = await waitFor('telegram.poller.in.webhook', 2);
      expect(hooks.map((h) => h.data)).toEqual([u1, u2]);
      expect((await waitFor('telegram.poller.in.message', 2)).map((m) => m.data)).toEqual([
        message(1),
        message(2),
      ]);
      const archived = await rows(
        `SELECT id::text, request_id FROM inbound_events WHERE instance_id = $1 ORDER BY id`,
        [created.body.id],
      );
      expect(archived).toEqual([
        { id: expect.any(String), request_id: null },
        { id: expect.any(String), request_id: null },
      ]);
      expect(hooks.map((h) => h.msgId)).toEqual(archived.map((a: { id: string }) => `in:${a.id}:webhook`));
      expect(
        await rows('SELECT count(*)::int AS n FROM inbound_requests WHERE instance_id = $1', [
          created.body.id,
        ]),
      ).toEqual([{ n: 0 }]);
    });
  });
});
