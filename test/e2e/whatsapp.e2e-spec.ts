import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTBOUND_TYPES } from '../../src/modules/providers/normalized';
import {
  normalizeWhatsAppChange,
  WaWebhook,
} from '../../src/modules/providers/whatsapp-official/whatsapp-official.normalizer';
import { FakeGraphApi, GRAPH_ERRORS, hubSignature256 } from '../fakes/fake-graph-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/whatsapp-cloud');

const PHONE_A = '106540352242922';
const TOKEN_A = 'EAAGm0PX4ZCpsBAKtokenA';
const SECRET_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const VERIFY_A = 'verify-token-a';
/** PROVIDERS.md §8 vector 2: the real Meta-signed webhook (phone number id and app secret). */
const PHONE_B = '277321005464405';
const TOKEN_B = 'EAAGm0PX4ZCpsBAKtokenB';
const SECRET_B = '1222e786b144d0e85b9f365372d93676';
const VECTOR_BODY =
  '{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550953877","phone_number_id":"277321005464405"},"contacts":[{"profile":{"name":"PyWa Tests"},"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":{"body":"Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}';
const VECTOR_SIGNATURE = 'sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441';
/** A second number of the same Meta app (same app secret as A): routing among several. */
const PHONE_D = '109876543210987';
const TOKEN_D = 'EAAGm0PX4ZCpsBAKtokenD';
const PHONE_E = '100000000000005';
const TOKEN_E = 'EAAGm0PX4ZCpsBAKtokenE';

interface Row {
  [k: string]: unknown;
}

/** Webhook body for one inbound text to `phoneNumberId`. */
function textWebhook(phoneNumberId: string, wamid: string, body: string, from = '16505551234'): WaWebhook {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: from }],
              messages: [{ from, id: wamid, timestamp: '1749416383', type: 'text', text: { body } }],
            },
          },
        ],
      },
    ],
  };
}

function statusWebhook(phoneNumberId: string, wamid: string, status: string, extra: Row = {}): WaWebhook {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              statuses: [
                { id: wamid, status, timestamp: '1749416400', recipient_id: '16505551234', ...extra },
              ] as never,
            },
          },
        ],
      },
    ],
  };
}

/** Every fixture body (pywa variants and restfb files) with a label. */
function allFixtures(): { label: string; body: WaWebhook }[] {
  const out: { label: string; body: WaWebhook }[] = [];
  for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.json'))) {
    const variants = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Record<string, WaWebhook>;
    for (const [k, v] of Object.entries(variants)) out.push({ label: `${f}#${k}`, body: v });
  }
  for (const f of readdirSync(join(FIXTURES, 'restfb')).filter((x) => x.endsWith('.json'))) {
    out.push({ label: `restfb/${f}`, body: JSON.parse(readFileSync(join(FIXTURES, 'restfb', f), 'utf8')) });
  }
  return out;
}

/** Fixtures reuse ids (`wamid.xyzxyz`); suffix message / status / edit ids so each fixture is new. */
function uniquify(body: WaWebhook, tag: string): WaWebhook {
  const copy = JSON.parse(JSON.stringify(body)) as WaWebhook;
  for (const e of copy.entry ?? []) {
    for (const c of e.changes ?? []) {
      for (const m of c.value?.messages ?? []) {
        if (m.id) m.id = `${m.id}~${tag}`;
        if (m.edit?.original_message_id) m.edit.original_message_id = `${m.edit.original_message_id}~${tag}`;
      }
      for (const s of (c.value?.statuses ?? []) as { id?: string }[]) if (s.id) s.id = `${s.id}~${tag}`;
      for (const m of c.value?.message_echoes ?? []) {
        if (m.id) m.id = `${m.id}~${tag}`;
        if (m.edit?.original_message_id) m.edit.original_message_id = `${m.edit.original_message_id}~${tag}`;
      }
    }
  }
  return copy;
}

/**
 * WhatsApp Cloud API end to end against the fake Graph API: instance creation with a credential
 * check, every outbound type's exact Cloud API body, Graph errors, every fixture through the
 * signed webhook, routing by phone_number_id, statuses, media download, mark-as-read and raw calls.
 */
describe('WhatsApp Cloud API (e2e)', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let idA: string;
  let idB: string;
  let idD: string;

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const count = async (sql: string, params: unknown[] = []) => Number((await rows(sql, params))[0].n);
  const create = (phoneNumberId: string, accessToken: string, extra: Row = {}) =>
    alice.post('/api/instances').send({
      provider: 'whatsapp-official',
      name: `wa ${phoneNumberId}`,
      config: {
        phoneNumberId,
        accessToken,
        appSecret: SECRET_A,
        webhookVerifyToken: `verify-${phoneNumberId}`,
        ...extra,
      },
      webhookUrl: receiver.url(`/hook/${phoneNumberId}`),
      retryInterval: 100,
    });
  const send = (id: string, body: Row) => alice.post(`/api/instances/${id}/messages`).send(body);

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE_A, {
      token: TOKEN_A,
      displayPhoneNumber: '+1 555-078-3881',
      verifiedName: 'Acme',
    });
    graph.addPhoneNumber(PHONE_B, { token: TOKEN_B });
    graph.addPhoneNumber(PHONE_D, { token: TOKEN_D });
    graph.addPhoneNumber(PHONE_E, { token: TOKEN_E });
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ GRAPH_API_BASE_URL: graph.baseUrl, GRAPH_API_VERSION: 'v23.0' });
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await graph.stop();
    await receiver.stop();
  });

  describe('instances', () => {
    it('refuses a token Meta rejects (190) with a 422 naming the field and stores nothing', async () => {
      const before = await count('SELECT count(*)::int AS n FROM whatsapp_official_instances');
      const res = await create(PHONE_A, 'EAA-wrong-token').expect(422);
      expect(res.body).toMatchObject({
        code: 'invalid_access_token',
        provider: 'whatsapp-official',
        providerCode: 190,
        errors: [{ field: 'config.accessToken' }],
      });
      expect(await count('SELECT count(*)::int AS n FROM whatsapp_official_instances')).toBe(before);
      expect(graph.lastCall(new RegExp(`^/${PHONE_A}$`))?.token).toBe('EAA-wrong-token');
    });

    it('validates the config and names the field', async () => {
      const res = await alice
        .post('/api/instances')
        .send({
          provider: 'whatsapp-official',
          name: 'x',
          config: { phoneNumberId: 'abc', accessToken: 't' },
        })
        .expect(400);
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining(['config.phoneNumberId', 'config.appSecret', 'config.webhookVerifyToken']),
      );
    });

    it('creates instances after a Graph check of token + phone number; secrets encrypted and masked', async () => {
      const res = await create(PHONE_A, TOKEN_A, {
        webhookVerifyToken: VERIFY_A,
        wabaId: '102290129340398',
      }).expect(201);
      idA = res.body.id;
      expect(res.body).toMatchObject({ provider: 'whatsapp-official', status: 'connected' });
      const check = graph.lastCall(new RegExp(`^/${PHONE_A}$`))!;
      expect(check).toMatchObject({ method: 'GET', version: 'v23.0', token: TOKEN_A });
      const [row] = await rows('SELECT * FROM whatsapp_official_instances WHERE instance_id = $1', [idA]);
      expect(row).toMatchObject({
        phone_number_id: PHONE_A,
        display_phone_number: '+1 555-078-3881',
        version: null,
      });
      for (const col of ['access_token_enc', 'app_secret_enc', 'webhook_verify_token_enc']) {
        expect(row[col]).toMatch(/^v1\./);
      }
      expect(JSON.stringify(row)).not.toContain(TOKEN_A);
      expect(JSON.stringify(row)).not.toContain(SECRET_A);
      const one = await alice.get(`/api/instances/${idA}`).expect(200);
      expect(one.body.config).toMatchObject({
        phoneNumberId: PHONE_A,
        verifiedName: 'Acme',
        version: 'v23.0',
      });
      expect(JSON.stringify(one.body)).not.toContain(TOKEN_A);
      expect(JSON.stringify(one.body)).not.toContain(SECRET_A);

      const b = await create(PHONE_B, TOKEN_B, { appSecret: SECRET_B, version: 'v24.0' }).expect(201);
      idB = b.body.id;
      expect(graph.lastCall(new RegExp(`^/${PHONE_B}$`))?.version).toBe('v24.0');
      idD = (await create(PHONE_D, TOKEN_D).expect(201)).body.id;
    });

    it('refuses a phone number id already connected (409)', async () => {
      const res = await create(PHONE_A, TOKEN_A).expect(409);
      expect(res.body.code).toBe('phone_number_already_connected');
    });

    it('answers the verification handshake only for the right verify token', async () => {
      const ok = await t
        .http()
        .get('/webhooks/whatsapp')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_A, 'hub.challenge': '1158201444' })
        .expect(200);
      expect(ok.text).toBe('1158201444');
      expect(ok.headers['content-type']).toMatch(/^text\/plain/);
      await t
        .http()
        .get('/webhooks/whatsapp')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' })
        .expect(403);
      await t
        .http()
        .get('/webhooks/whatsapp')
        .query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_A, 'hub.challenge': '1' })
        .expect(403);
      const own = await t
        .http()
        .get(`/webhooks/whatsapp/${idA}`)
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_A, 'hub.challenge': 'abc' })
        .expect(200);
      expect(own.text).toBe('abc');
      await t
        .http()
        .get(`/webhooks/whatsapp/${idB}`)
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_A, 'hub.challenge': 'abc' })
        .expect(403);
    });
  });

  describe('outbound', () => {
    const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234' };
    const covered = new Set<string>();
    let inboundWamid: string;

    beforeAll(async () => {
      inboundWamid = 'wamid.INBOUND-for-replies';
      const res = await graph.pushWebhook(
        `${t.baseUrl}/webhooks/whatsapp`,
        textWebhook(PHONE_A, inboundWamid, 'hello'),
        SECRET_A,
      );
      expect(res.status).toBe(200);
    });

    const cases: { name: string; dto: Row; body: Row }[] = [
      {
        name: 'text with preview and reply context',
        dto: {
          type: 'text',
          text: 'See https://example.com',
          previewUrl: true,
          replyTo: 'wamid.INBOUND-for-replies',
        },
        body: {
          ...envelope,
          context: { message_id: 'wamid.INBOUND-for-replies' },
          type: 'text',
          text: { body: 'See https://example.com', preview_url: true },
        },
      },
      {
        name: 'image by URL with caption',
        dto: { type: 'image', media: { url: 'https://cdn.example.com/a.jpg' }, caption: 'Look' },
        body: {
          ...envelope,
          type: 'image',
          image: { link: 'https://cdn.example.com/a.jpg', caption: 'Look' },
        },
      },
      {
        name: 'image by media id',
        dto: { type: 'image', media: { providerMediaId: '1479537139650973' } },
        body: { ...envelope, type: 'image', image: { id: '1479537139650973' } },
      },
      {
        name: 'video with caption',
        dto: { type: 'video', media: { url: 'https://cdn.example.com/v.mp4' }, caption: 'clip' },
        body: {
          ...envelope,
          type: 'video',
          video: { link: 'https://cdn.example.com/v.mp4', caption: 'clip' },
        },
      },
      {
        name: 'audio',
        dto: { type: 'audio', media: { providerMediaId: '555' } },
        body: { ...envelope, type: 'audio', audio: { id: '555' } },
      },
      {
        name: 'voice (audio message)',
        dto: { type: 'voice', media: { url: 'https://cdn.example.com/v.ogg' } },
        body: { ...envelope, type: 'audio', audio: { link: 'https://cdn.example.com/v.ogg' } },
      },
      {
        name: 'document with file name and caption',
        dto: {
          type: 'document',
          media: { url: 'https://cdn.example.com/i.pdf' },
          filename: 'invoice.pdf',
          caption: 'Your invoice',
        },
        body: {
          ...envelope,
          type: 'document',
          document: {
            link: 'https://cdn.example.com/i.pdf',
            caption: 'Your invoice',
            filename: 'invoice.pdf',
          },
        },
      },
      {
        name: 'sticker',
        dto: { type: 'sticker', media: { providerMediaId: '777' } },
        body: { ...envelope, type: 'sticker', sticker: { id: '777' } },
      },
      {
        name: 'location',
        dto: { type: 'location', latitude: 37.44, longitude: -122.16, name: 'HQ', address: '1 Hacker Way' },
        body: {
          ...envelope,
          type: 'location',
          location: { latitude: 37.44, longitude: -122.16, name: 'HQ', address: '1 Hacker Way' },
        },
      },
      {
        name: 'contacts',
        dto: {
          type: 'contacts',
          contacts: [{ name: 'Support Desk', firstName: 'Support', phone: '+16505550000' }],
        },
        body: {
          ...envelope,
          type: 'contacts',
          contacts: [
            {
              name: { formatted_name: 'Support Desk', first_name: 'Support' },
              phones: [{ phone: '+16505550000', type: 'CELL' }],
            },
          ],
        },
      },
      {
        name: 'template with components',
        dto: {
          type: 'template',
          template: {
            name: 'order_update',
            language: 'en_US',
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pablo' }] }],
          },
        },
        body: {
          ...envelope,
          type: 'template',
          template: {
            name: 'order_update',
            language: { code: 'en_US' },
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pablo' }] }],
          },
        },
      },
      {
        name: 'reaction',
        dto: { type: 'reaction', messageId: 'wamid.INBOUND-for-replies', emoji: '👍' },
        body: {
          ...envelope,
          type: 'reaction',
          reaction: { message_id: 'wamid.INBOUND-for-replies', emoji: '👍' },
        },
      },
      {
        name: 'reaction removal (empty emoji)',
        dto: { type: 'reaction', messageId: 'wamid.INBOUND-for-replies', emoji: '' },
        body: {
          ...envelope,
          type: 'reaction',
          reaction: { message_id: 'wamid.INBOUND-for-replies', emoji: '' },
        },
      },
    ];

    it.each(cases)('$name → the exact Cloud API body', async ({ dto, body }) => {
      const res = await send(idA, { to: '+16505551234', ...dto }).expect(201);
      const call = graph.lastCall(new RegExp(`^/${PHONE_A}/messages$`), 'POST')!;
      expect(call.body).toEqual(body);
      expect(call).toMatchObject({ token: TOKEN_A, version: 'v23.0' });
      expect(res.body).toMatchObject({
        status: 'sent',
        providerMessageId: expect.stringMatching(/^wamid\.FAKE/),
      });
      const [row] = await rows('SELECT status, provider_message_id FROM messages WHERE id = $1', [
        res.body.id,
      ]);
      expect(row).toEqual({ status: 'sent', provider_message_id: res.body.providerMessageId });
      covered.add(String(dto.type));
    });

    it('resolves our message id in replyTo to the wamid', async () => {
      const [inbound] = await rows('SELECT id FROM messages WHERE provider_message_id = $1', [inboundWamid]);
      await send(idA, { to: '16505551234', type: 'text', text: 'reply', replyTo: inbound.id }).expect(201);
      expect(graph.lastCall(new RegExp(`^/${PHONE_A}/messages$`))?.body?.context).toEqual({
        message_id: inboundWamid,
      });
    });

    it('uses the pinned Graph version of an instance', async () => {
      await send(idB, { to: '16505551234', type: 'text', text: 'v24' }).expect(201);
      expect(graph.lastCall(new RegExp(`^/${PHONE_B}/messages$`))).toMatchObject({
        version: 'v24.0',
        token: TOKEN_B,
      });
    });

    it('capabilities tell the truth: every listed type was sent above, the others are refused with 422', async () => {
      const caps = await alice.get(`/api/instances/${idA}/capabilities`).expect(200);
      expect(caps.body).toMatchObject({
        provider: 'whatsapp-official',
        mediaUpload: true,
        readReceipts: true,
      });
      for (const type of caps.body.types as string[]) expect(covered).toContain(type);
      for (const type of OUTBOUND_TYPES.filter((x) => !caps.body.types.includes(x))) {
        const res = await send(idA, { to: '16505551234', type, text: 'x' }).expect(422);
        expect(res.body.provider).toBe('whatsapp-official');
      }
      const long = await send(idA, { to: '16505551234', type: 'text', text: 'x'.repeat(4097) }).expect(422);
      expect(long.body.code).toBe('text_too_long');
    });

    it('refuses a recipient that is not a phone number before calling Meta', async () => {
      const calls = graph.calls.length;
      const res = await send(idA, { to: 'someone', type: 'text', text: 'x' }).expect(400);
      expect(res.body.errors[0].field).toBe('to');
      expect(graph.calls.length).toBe(calls);
    });

    it('sends a file: multipart upload to /media, then the message by media id', async () => {
      const res = await alice
        .post(`/api/instances/${idA}/messages/upload`)
        .field('to', '16505551234')
        .field('type', 'document')
        .field('caption', 'the report')
        .attach('file', Buffer.from('%PDF-1.4 fake'), {
          filename: 'report.pdf',
          contentType: 'application/pdf',
        })
        .expect(201);
      const upload = graph.lastCall(new RegExp(`^/${PHONE_A}/media$`), 'POST')!;
      expect(upload.body).toMatchObject({
        messaging_product: 'whatsapp',
        type: 'application/pdf',
        file: { fileName: 'report.pdf', size: 13, contentType: 'application/pdf' },
      });
      const sent = graph.lastCall(new RegExp(`^/${PHONE_A}/messages$`), 'POST')!;
      expect(sent.body).toEqual({
        ...envelope,
        type: 'document',
        document: { id: expect.stringMatching(/^9\d+$/), caption: 'the report', filename: 'report.pdf' },
      });
      expect(res.body.status).toBe('sent');
      await alice
        .post(`/api/instances/${idA}/messages/upload`)
        .field('to', '16505551234')
        .field('type', 'document')
        .expect(400);
    });

    it('marks a received message as read ({"status":"read"}) and refuses our own messages', async () => {
      const [inbound] = await rows('SELECT id FROM messages WHERE provider_message_id = $1', [inboundWamid]);
      const res = await alice.post(`/api/instances/${idA}/messages/${inbound.id}/read`).expect(200);
      expect(res.body).toEqual({ success: true, messageId: inbound.id, providerMessageId: inboundWamid });
      expect(graph.lastCall(new RegExp(`^/${PHONE_A}/messages$`))?.body).toEqual({
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: inboundWamid,
      });
      const [out] = await rows(
        `SELECT id FROM messages WHERE instance_id = $1 AND direction = 'out' LIMIT 1`,
        [idA],
      );
      const refused = await alice.post(`/api/instances/${idA}/messages/${out.id}/read`).expect(422);
      expect(refused.body.code).toBe('not_an_inbound_message');
      const typing = await alice.post(`/api/instances/${idA}/chats/16505551234/typing`).send({}).expect(422);
      expect(typing.body).toMatchObject({ code: 'typing_unsupported', provider: 'whatsapp-official' });
    });

    it('passes raw Graph calls through with the instance credentials', async () => {
      const body = {
        messaging_product: 'whatsapp',
        to: '16505551234',
        type: 'interactive',
        interactive: { type: 'button' },
      };
      const res = await alice.post(`/api/instances/${idA}/provider/raw`).send({ body }).expect(200);
      expect(res.body.messages[0].id).toMatch(/^wamid\./);
      expect(graph.lastCall(new RegExp(`^/${PHONE_A}/messages$`))).toMatchObject({ body, token: TOKEN_A });
      const phone = await alice
        .post(`/api/instances/${idA}/provider/raw`)
        .send({ method: 'GET', path: `/${PHONE_A}` })
        .expect(200);
      expect(phone.body.verified_name).toBe('Acme');
      await alice.post(`/api/instances/${idA}/provider/raw`).send({ path: '/../x', body: {} }).expect(400);
    });
  });

  describe('Graph errors', () => {
    const sendPath = new RegExp(`^/${PHONE_A}/messages$`);

    it('131047 → 422 telling the user to send a template, with the Graph facts', async () => {
      graph.failNext(sendPath, GRAPH_ERRORS.reengagement);
      const res = await send(idA, { to: '16505551234', type: 'text', text: 'late' }).expect(422);
      expect(res.body).toMatchObject({
        code: 'outside_customer_service_window',
        provider: 'whatsapp-official',
        providerCode: 131047,
        graphError: { code: 131047, type: 'OAuthException', fbtrace_id: 'A7xH3G5dPfL1qMzK8nR2sT0' },
      });
      expect(res.body.detail).toMatch(/template/);
      const [row] = await rows(
        `SELECT status, error FROM messages WHERE instance_id = $1 AND text = 'late'`,
        [idA],
      );
      expect(row).toMatchObject({ status: 'failed', error: { code: 'outside_customer_service_window' } });
    });

    it('130429 → 429 with Retry-After and error_data.details', async () => {
      graph.failNext(sendPath, GRAPH_ERRORS.rateLimit);
      const res = await send(idA, { to: '16505551234', type: 'text', text: 'fast' }).expect(429);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({
        code: 'provider_rate_limited',
        providerCode: 130429,
        graphError: { error_subcode: 2494055, details: expect.stringContaining('too many messages') },
      });
    });

    it('131030 and 100/2018001 → 422 naming the recipient problem', async () => {
      graph.failNext(sendPath, GRAPH_ERRORS.notAllowed);
      const a = await send(idA, { to: '16505551234', type: 'text', text: 'test number' }).expect(422);
      expect(a.body).toMatchObject({ code: 'recipient_not_allowed', providerCode: 131030 });
      graph.failNext(sendPath, GRAPH_ERRORS.noMatchingUser);
      const b = await send(idA, { to: '16505551234', type: 'text', text: 'nobody' }).expect(422);
      expect(b.body).toMatchObject({ code: 'recipient_not_found', providerCode: 100 });
    });

    it('190 → 502 provider_unauthorized, instance needs_reauth with a disconnected event saying so', async () => {
      const idE = (await create(PHONE_E, TOKEN_E).expect(201)).body.id;
      graph.failNext(new RegExp(`^/${PHONE_E}/messages$`), GRAPH_ERRORS.expiredToken);
      const res = await send(idE, { to: '16505551234', type: 'text', text: 'expired' }).expect(502);
      expect(res.body).toMatchObject({ code: 'provider_unauthorized', providerCode: 190 });
      const status = await alice.get(`/api/instances/${idE}/status`).expect(200);
      expect(status.body).toMatchObject({ status: 'needs_reauth', ready: false });
      const hook = await receiver.waitFor(
        (r) => r.path === `/hook/${PHONE_E}` && (r.json as { event?: string }).event === 'disconnected',
      );
      expect((hook.json as { data: { status: string; reason: string } }).data).toMatchObject({
        status: 'needs_reauth',
        reason: expect.stringMatching(/access token/),
      });
    });
  });

  describe('inbound webhooks', () => {
    const url = () => `${t.baseUrl}/webhooks/whatsapp`;

    it('verifies the real Meta-signed vector (PROVIDERS.md §8 #2) on the shared URL and routes it to B', async () => {
      const res = await graph.pushWebhook(url(), null, null, {
        raw: VECTOR_BODY,
        signature: VECTOR_SIGNATURE,
      });
      expect(res.status).toBe(200);
      const [m] = await rows(
        `SELECT m.instance_id, m.type, m.text, c.push_name FROM messages m
           JOIN chats ch ON ch.id = m.chat_id JOIN contacts c ON c.id = ch.contact_id
          WHERE m.provider_message_id = $1`,
        ['wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA'],
      );
      expect(m).toEqual({
        instance_id: idB,
        type: 'text',
        text: 'Hey there! I am using PyWa.',
        push_name: 'PyWa Tests',
      });
    });

    it('hashes the \\u-escaped bytes Meta sends (non-ASCII text arrives intact)', async () => {
      const text = 'みどりいろ and J’ai mangé des pâtes 👍';
      const res = await graph.pushWebhook(url(), textWebhook(PHONE_A, 'wamid.UNICODE1', text), SECRET_A);
      expect(res.raw).toContain('\\u307f\\u3069');
      expect(res.status).toBe(200);
      const [m] = await rows('SELECT text FROM messages WHERE provider_message_id = $1', ['wamid.UNICODE1']);
      expect(m.text).toBe(text);
    });

    it('wrong or missing signatures → 401 and nothing stored', async () => {
      const before = await count('SELECT count(*)::int AS n FROM inbound_events');
      const body = textWebhook(PHONE_A, 'wamid.BADSIG', 'forged');
      expect((await graph.pushWebhook(url(), body, 'not-the-secret')).status).toBe(401);
      expect((await graph.pushWebhook(url(), body, null)).status).toBe(401);
      expect((await graph.pushWebhook(`${url()}/${idA}`, body, 'not-the-secret')).status).toBe(401);
      const sig = hubSignature256(SECRET_A, JSON.stringify(body));
      // a signature over a re-serialized body does not match the bytes sent
      expect(
        (await graph.pushWebhook(url(), body, null, { raw: JSON.stringify(body, null, 1), signature: sig }))
          .status,
      ).toBe(401);
      expect(await count('SELECT count(*)::int AS n FROM inbound_events')).toBe(before);
      expect(
        await count(`SELECT count(*)::int AS n FROM messages WHERE provider_message_id = 'wamid.BADSIG'`),
      ).toBe(0);
    });

    it('routes by phone_number_id among several instances, every entry and change', async () => {
      const a = textWebhook(PHONE_A, 'wamid.ROUTE-A', 'to A');
      const d = textWebhook(PHONE_D, 'wamid.ROUTE-D', 'to D');
      const both: WaWebhook = { object: a.object, entry: [...a.entry!, ...d.entry!] };
      both.entry![0].changes!.push(
        textWebhook(PHONE_A, 'wamid.ROUTE-A2', 'to A again').entry![0].changes![0],
      );
      const res = await graph.pushWebhook(url(), both, SECRET_A);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ stored: 3, duplicates: 0 });
      const found = await rows(
        `SELECT provider_message_id, instance_id FROM messages WHERE provider_message_id LIKE 'wamid.ROUTE-%' ORDER BY 1`,
      );
      expect(found).toEqual([
        { provider_message_id: 'wamid.ROUTE-A', instance_id: idA },
        { provider_message_id: 'wamid.ROUTE-A2', instance_id: idA },
        { provider_message_id: 'wamid.ROUTE-D', instance_id: idD },
      ]);
    });

    it('stores a duplicated delivery once', async () => {
      const body = textWebhook(PHONE_A, 'wamid.DUP1', 'once');
      const first = await graph.pushWebhook(url(), body, SECRET_A);
      const again = await graph.pushWebhook(url(), body, SECRET_A);
      expect(JSON.parse(first.text)).toMatchObject({ stored: 1 });
      expect(JSON.parse(again.text)).toMatchObject({ stored: 0, duplicates: 1 });
      expect(
        await count(`SELECT count(*)::int AS n FROM messages WHERE provider_message_id = 'wamid.DUP1'`),
      ).toBe(1);
      const events = await count(
        `SELECT count(*)::int AS n FROM events WHERE type = 'message_received' AND payload->>'providerMessageId' = 'wamid.DUP1'`,
      );
      expect(events).toBe(1);
    });

    it('stores every fixture payload with the right type and content, or skips it with a reason', async () => {
      const fixtures = allFixtures();
      expect(fixtures.length).toBeGreaterThanOrEqual(100);
      let messages = 0;
      let skipped = 0;
      let statuses = 0;
      const [{ id: seedChat }] = await rows(
        `INSERT INTO chats (instance_id, provider_chat_id, type) VALUES ($1, 'status-fixtures', 'private') RETURNING id`,
        [idA],
      );
      for (const [i, f] of fixtures.entries()) {
        const body = uniquify(f.body, `f${i}`);
        // every other status fixture is about a message we sent: seed it as queued first
        const statusIds = (body.entry ?? []).flatMap((e) =>
          (e.changes ?? []).flatMap((c) =>
            ((c.value?.statuses ?? []) as { id?: string }[]).map((st) => st.id),
          ),
        );
        const seeded = new Set(statusIds.filter((_, k) => (i + k) % 2 === 0));
        for (const wamid of seeded) {
          await rows(
            `INSERT INTO messages (instance_id, chat_id, direction, provider_message_id, type, text, status, provider_timestamp)
             VALUES ($1, $2, 'out', $3, 'text', 'seeded', 'queued', now())`,
            [idA, seedChat, wamid],
          );
        }
        const res = await graph.pushWebhook(`${url()}/${idA}`, body, SECRET_A);
        expect({ label: f.label, status: res.status }).toEqual({ label: f.label, status: 200 });
        for (const e of body.entry ?? []) {
          for (const c of e.changes ?? []) {
            for (const item of normalizeWhatsAppChange(c)) {
              const [ev] = await rows(
                `SELECT outcome, skip_reason FROM inbound_events WHERE instance_id = $1 AND provider = 'whatsapp-official' AND provider_event_id = $2`,
                [idA, item.providerEventId],
              );
              expect({ label: f.label, archived: !!ev }).toEqual({ label: f.label, archived: true });
              if (item.result.kind === 'message') {
                const m = item.result.message;
                const [row] = await rows(
                  `SELECT type, text, media, location, contacts, reaction, reply_to, error, direction FROM messages
                    WHERE instance_id = $1 AND provider_message_id = $2`,
                  [idA, m.providerMessageId],
                );
                expect({ label: f.label, type: row?.type }).toEqual({ label: f.label, type: m.type });
                expect(row.text).toBe(m.text ?? null);
                expect({ label: f.label, direction: row.direction }).toEqual({
                  label: f.label,
                  direction: m.fromMe ? 'out' : 'in',
                });
                if (m.media) expect(row.media).toMatchObject({ providerMediaId: m.media.providerMediaId });
                if (m.location) expect(row.location).toEqual(m.location);
                if (m.contacts) expect(row.contacts).toEqual(m.contacts);
                if (m.reaction) expect(row.reaction).toEqual(m.reaction);
                if (m.error) expect(row.error).toEqual(m.error);
                messages += 1;
              } else if (item.result.kind === 'skip') {
                expect(ev).toEqual({ outcome: 'skipped', skip_reason: item.result.reason });
                skipped += 1;
              } else if (seeded.has(item.result.status.providerMessageId!)) {
                const st = item.result.status;
                const [row] = await rows(
                  'SELECT status, error, status_updated_at FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
                  [idA, st.providerMessageId],
                );
                expect({ label: f.label, status: row.status }).toEqual({ label: f.label, status: st.status });
                if (st.status === 'failed') expect(row.error).toEqual(st.error);
                expect(ev.outcome).toBe('stored');
                statuses += 1;
              } else {
                // statuses about messages this gateway never sent change nothing
                expect(ev).toEqual({ outcome: 'skipped', skip_reason: 'status_for_unknown_message' });
              }
            }
          }
        }
      }
      expect(messages).toBeGreaterThan(40);
      expect(skipped).toBeGreaterThan(20);
      expect(statuses).toBeGreaterThanOrEqual(5);
      const [loc] = await rows(
        `SELECT location FROM messages WHERE instance_id = $1 AND type = 'location' AND location->>'name' = 'Facebook HQ' LIMIT 1`,
        [idA],
      );
      expect(loc.location).toEqual({
        latitude: 37.4611978,
        longitude: -122.2164385,
        name: 'Facebook HQ',
        address: '1 Hacker Way, Menlo Park, CA 94025',
      });
    });

    it('fixture payloads with a wrong signature get 401 and store nothing', async () => {
      const before = await count('SELECT count(*)::int AS n FROM inbound_events');
      for (const [i, f] of allFixtures().entries()) {
        const body = uniquify(f.body, `bad${i}`);
        expect((await graph.pushWebhook(`${url()}/${idA}`, body, 'wrong-secret')).status).toBe(401);
      }
      expect(await count('SELECT count(*)::int AS n FROM inbound_events')).toBe(before);
    });

    it('statuses move our message forward only, once each, with message_status events by notify flags', async () => {
      await alice.put(`/api/instances/${idA}`).send({ notifyDelivery: true, notifyRead: false }).expect(200);
      const sent = await send(idA, { to: '16505551234', type: 'text', text: 'track me' }).expect(201);
      const wamid: string = sent.body.providerMessageId;
      const post = async (status: string, extra: Row = {}) => {
        const res = await graph.pushWebhook(url(), statusWebhook(PHONE_A, wamid, status, extra), SECRET_A);
        expect(res.status).toBe(200);
        return JSON.parse(res.text);
      };
      const state = async () =>
        (await rows('SELECT status, status_updated_at FROM messages WHERE id = $1', [sent.body.id]))[0];
      const pricing = { billable: true, pricing_model: 'PMP', category: 'service' };
      expect(await post('delivered', { pricing })).toMatchObject({ stored: 1 });
      expect((await state()).status).toBe('delivered');
      expect(await post('read')).toMatchObject({ stored: 1 });
      expect(await post('delivered')).toMatchObject({ duplicates: 1 });
      expect(await post('read')).toMatchObject({ duplicates: 1 });
      expect(await post('sent')).toMatchObject({ stored: 0, skipped: 1 });
      const after = await state();
      expect(after.status).toBe('read');
      expect(after.status_updated_at).toBeInstanceOf(Date);
      const events = await rows(
        `SELECT payload FROM events WHERE type = 'message_status' AND payload->>'messageId' = $1 ORDER BY sequence`,
        [sent.body.id],
      );
      expect(events.map((e) => (e.payload as Row).status)).toEqual(['delivered', 'read']);
      expect(events[0].payload).toMatchObject({
        previousStatus: 'sent',
        pricing,
        recipientId: '16505551234',
      });
      expect(events[1].payload).toMatchObject({ previousStatus: 'delivered', providerMessageId: wamid });
      const hook = await receiver.waitFor(
        (r) =>
          (r.json as { event?: string; data?: Row })?.event === 'message_status' &&
          (r.json as { data: Row }).data.messageId === sent.body.id,
      );
      expect((hook.json as { data: Row }).data.status).toBe('delivered');
      await new Promise((r) => setTimeout(r, 300));
      const reads = receiver.requests.filter(
        (r) =>
          (r.json as { event?: string })?.event === 'message_status' &&
          (r.json as { data: Row }).data.messageId === sent.body.id &&
          (r.json as { data: Row }).data.status === 'read',
      );
      expect(reads).toHaveLength(0);

      const failed = await send(idA, { to: '16505551234', type: 'text', text: 'will fail' }).expect(201);
      await graph.pushWebhook(
        url(),
        statusWebhook(PHONE_A, failed.body.providerMessageId, 'failed', {
          errors: [
            {
              code: 131026,
              title: 'Message undeliverable',
              error_data: { details: 'Message Undeliverable.' },
            },
          ],
        }),
        SECRET_A,
      );
      const [f] = await rows('SELECT status, error FROM messages WHERE id = $1', [failed.body.id]);
      expect(f).toEqual({
        status: 'failed',
        error: { code: 131026, title: 'Message undeliverable', details: 'Message Undeliverable.' },
      });
    });

    it('downloads inbound media: GET /<media_id>, then its URL with the Bearer token', async () => {
      graph.addMedia('8812345', Buffer.from('JPEGBYTES'), 'image/jpeg');
      const body = textWebhook(PHONE_A, 'wamid.IMG1', '');
      const m = body.entry![0].changes![0].value!.messages![0];
      Object.assign(m, {
        type: 'image',
        text: undefined,
        image: { id: '8812345', mime_type: 'image/jpeg', sha256: 'x' },
      });
      expect((await graph.pushWebhook(url(), body, SECRET_A)).status).toBe(200);
      const [row] = await rows('SELECT id FROM messages WHERE provider_message_id = $1', ['wamid.IMG1']);
      const res = await alice.get(`/api/instances/${idA}/messages/${row.id}/media`).buffer(true).expect(200);
      expect(res.headers['content-type']).toBe('image/jpeg');
      expect(Buffer.from(res.body as Buffer).toString()).toBe('JPEGBYTES');
      expect(graph.lastCall(/^\/8812345$/)).toMatchObject({ method: 'GET', token: TOKEN_A });
    });

    it('answers 401 for a payload no instance can verify', async () => {
      const res = await graph.pushWebhook(url(), textWebhook('999999999', 'wamid.NOBODY', 'x'), SECRET_A);
      expect(res.status).toBe(401);
      expect(
        await count(`SELECT count(*)::int AS n FROM inbound_events WHERE provider_event_id = 'wamid.NOBODY'`),
      ).toBe(0);
    });
  });
});
