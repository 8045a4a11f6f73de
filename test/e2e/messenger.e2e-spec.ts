import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTBOUND_TYPES } from '../../src/modules/providers/normalized';
import {
  MsEvent,
  MsWebhook,
  normalizeMessengerEntry,
} from '../../src/modules/providers/facebook-messenger/facebook-messenger.normalizer';
import { FakeGraphApi, GRAPH_ERRORS } from '../fakes/fake-graph-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/messenger');
const PAGE = '112233445566778';
const TOKEN = 'EAAPageTokenMessenger1';
const SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const VERIFY = 'messenger-verify';
const PAGE_2 = '998877665544332';
const TOKEN_2 = 'EAAPageTokenMessenger2';
const PSID = '2000000000001';

type Row = Record<string, unknown>;

/** A well-formed body of every normalized type (so a refusal is about the provider, not validation). */
const VALID: Record<string, Row> = {
  text: { type: 'text', text: 'x' },
  image: { type: 'image', media: { url: 'https://cdn.example.com/x.png' } },
  video: { type: 'video', media: { url: 'https://cdn.example.com/x.mp4' } },
  audio: { type: 'audio', media: { url: 'https://cdn.example.com/x.mp3' } },
  voice: { type: 'voice', media: { url: 'https://cdn.example.com/x.ogg' } },
  document: { type: 'document', media: { url: 'https://cdn.example.com/x.pdf' } },
  sticker: { type: 'sticker', media: { url: 'https://cdn.example.com/x.webp' } },
  location: { type: 'location', latitude: 1, longitude: 2 },
  contacts: { type: 'contacts', contacts: [{ name: 'A', phone: '+1555' }] },
  template: { type: 'template', template: { name: 'hello_world', language: 'en_US' } },
  reaction: { type: 'reaction', messageId: 'm_x', emoji: '👍' },
};

function event(pageId: string, ev: MsEvent): MsWebhook {
  return { object: 'page', entry: [{ id: pageId, time: Date.now(), messaging: [ev] }] };
}

/** restfb samples share mids: suffix them so each fixture is new. */
function uniquify(body: MsWebhook, tag: string): MsWebhook {
  const copy = JSON.parse(JSON.stringify(body)) as MsWebhook;
  for (const e of copy.entry ?? []) {
    for (const ev of [...(e.messaging ?? []), ...(e.standby ?? [])]) {
      for (const o of [ev.message, ev.reaction, ev.postback, ev.message_edit]) {
        if (o?.mid) o.mid = `${o.mid}~${tag}`;
      }
    }
  }
  return copy;
}

/**
 * Messenger end to end against the fake Graph API: Page check at creation, Send API bodies,
 * Graph errors, every restfb fixture through the signed webhook, echoes stored as ours, and
 * delivery / read watermarks moving our messages forward.
 */
describe('Facebook Messenger (e2e)', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let id: string;

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const count = async (sql: string, params: unknown[] = []) => Number((await rows(sql, params))[0].n);
  const create = (pageId: string, token: string, extra: Row = {}) =>
    alice.post('/api/instances').send({
      provider: 'facebook-messenger',
      name: `page ${pageId}`,
      config: { pageId, pageAccessToken: token, appSecret: SECRET, webhookVerifyToken: VERIFY, ...extra },
      webhookUrl: receiver.url(`/hook/${pageId}`),
      retryInterval: 100,
    });
  const send = (body: Row) => alice.post(`/api/instances/${id}/messages`).send(body);
  const lastSend = () => graph.lastCall(new RegExp(`^/${PAGE}/messages$`), 'POST')!;

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    graph.addPage(PAGE, { token: TOKEN, name: 'Acme Support' });
    graph.addPage(PAGE_2, { token: TOKEN_2 });
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ GRAPH_API_BASE_URL: graph.baseUrl, GRAPH_API_VERSION: 'v23.0' });
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await graph.stop();
    await receiver.stop();
  });

  it('refuses a Page token Meta rejects (422, nothing stored), then creates the instance', async () => {
    const bad = await create(PAGE, 'EAA-bad').expect(422);
    expect(bad.body).toMatchObject({
      code: 'invalid_access_token',
      provider: 'facebook-messenger',
      providerCode: 190,
    });
    expect(
      await count(`SELECT count(*)::int AS n FROM facebook_messenger_instances WHERE page_id = '${PAGE}'`),
    ).toBe(0);
    const res = await create(PAGE, TOKEN).expect(201);
    id = res.body.id;
    expect(res.body).toMatchObject({ provider: 'facebook-messenger', status: 'connected' });
    expect(graph.lastCall(new RegExp(`^/${PAGE}$`))).toMatchObject({
      method: 'GET',
      token: TOKEN,
      version: 'v23.0',
    });
    const [row] = await rows('SELECT * FROM facebook_messenger_instances WHERE instance_id = $1', [id]);
    expect(row).toMatchObject({ page_id: PAGE, page_name: 'Acme Support' });
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    const one = await alice.get(`/api/instances/${id}`).expect(200);
    expect(JSON.stringify(one.body)).not.toContain(TOKEN);
    expect((await create(PAGE, TOKEN).expect(409)).body.code).toBe('page_already_connected');
  });

  it('answers the GET handshake only for the right verify token', async () => {
    const q = (token: string) => ({
      'hub.mode': 'subscribe',
      'hub.verify_token': token,
      'hub.challenge': '42',
    });
    expect((await t.http().get('/webhooks/messenger').query(q(VERIFY)).expect(200)).text).toBe('42');
    await t.http().get('/webhooks/messenger').query(q('wrong')).expect(403);
    expect((await t.http().get(`/webhooks/messenger/${id}`).query(q(VERIFY)).expect(200)).text).toBe('42');
  });

  describe('outbound', () => {
    const covered = new Set<string>();
    const recipient = { recipient: { id: PSID } };
    const cases: { name: string; dto: Row; body: Row }[] = [
      {
        name: 'text (messaging_type RESPONSE)',
        dto: { type: 'text', text: 'hello' },
        body: { ...recipient, messaging_type: 'RESPONSE', message: { text: 'hello' } },
      },
      {
        name: 'text with a message tag',
        dto: { type: 'text', text: 'agent here', tag: 'HUMAN_AGENT' },
        body: {
          ...recipient,
          messaging_type: 'MESSAGE_TAG',
          tag: 'HUMAN_AGENT',
          message: { text: 'agent here' },
        },
      },
      {
        name: 'image by URL',
        dto: { type: 'image', media: { url: 'https://cdn.example.com/a.png' } },
        body: {
          ...recipient,
          messaging_type: 'RESPONSE',
          message: {
            attachment: {
              type: 'image',
              payload: { url: 'https://cdn.example.com/a.png', is_reusable: true },
            },
          },
        },
      },
      {
        name: 'video by attachment_id',
        dto: { type: 'video', media: { providerMediaId: '1857777774821032' } },
        body: {
          ...recipient,
          messaging_type: 'RESPONSE',
          message: { attachment: { type: 'video', payload: { attachment_id: '1857777774821032' } } },
        },
      },
      {
        name: 'audio',
        dto: { type: 'audio', media: { url: 'https://cdn.example.com/a.mp3' } },
        body: {
          ...recipient,
          messaging_type: 'RESPONSE',
          message: {
            attachment: {
              type: 'audio',
              payload: { url: 'https://cdn.example.com/a.mp3', is_reusable: true },
            },
          },
        },
      },
      {
        name: 'document → file',
        dto: { type: 'document', media: { url: 'https://cdn.example.com/a.pdf' } },
        body: {
          ...recipient,
          messaging_type: 'RESPONSE',
          message: {
            attachment: {
              type: 'file',
              payload: { url: 'https://cdn.example.com/a.pdf', is_reusable: true },
            },
          },
        },
      },
      {
        name: 'reaction',
        dto: { type: 'reaction', messageId: 'm_abc', emoji: '😊' },
        body: { ...recipient, sender_action: 'react', payload: { message_id: 'm_abc', reaction: '😊' } },
      },
      {
        name: 'unreact',
        dto: { type: 'reaction', messageId: 'm_abc', emoji: '' },
        body: { ...recipient, sender_action: 'unreact', payload: { message_id: 'm_abc' } },
      },
    ];

    it.each(cases)('$name → the exact Send API body', async ({ dto, body }) => {
      const res = await send({ to: PSID, ...dto }).expect(201);
      expect(lastSend().body).toEqual(body);
      expect(lastSend().token).toBe(TOKEN);
      expect(res.body.status).toBe('sent');
      covered.add(String(dto.type));
    });

    it('capabilities tell the truth; 2,000-character limit and replies refused with 422', async () => {
      const caps = await alice.get(`/api/instances/${id}/capabilities`).expect(200);
      for (const type of caps.body.types as string[]) expect(covered).toContain(type);
      for (const type of OUTBOUND_TYPES.filter((x) => !caps.body.types.includes(x))) {
        const res = await send({ to: PSID, ...VALID[type] }).expect(422);
        expect(res.body.provider).toBe('facebook-messenger');
      }
      const long = await send({ to: PSID, type: 'text', text: 'x'.repeat(2001) }).expect(422);
      expect(long.body).toMatchObject({ code: 'text_too_long', provider: 'facebook-messenger' });
      expect(long.body.detail).toContain('2000');
      const reply = await send({ to: PSID, type: 'text', text: 'x', replyTo: 'm_abc' }).expect(422);
      expect(reply.body).toMatchObject({ code: 'reply_unsupported', provider: 'facebook-messenger' });
    });

    it('mark_seen and typing sender actions', async () => {
      await graph.pushWebhook(
        `${t.baseUrl}/webhooks/messenger`,
        event(PAGE, {
          sender: { id: PSID },
          recipient: { id: PAGE },
          timestamp: Date.now(),
          message: { mid: 'm_IN1', text: 'hi' },
        }),
        SECRET,
      );
      const [m] = await rows(`SELECT id FROM messages WHERE provider_message_id = 'm_IN1'`);
      await alice.post(`/api/instances/${id}/messages/${m.id}/read`).expect(200);
      expect(lastSend().body).toEqual({ recipient: { id: PSID }, sender_action: 'mark_seen' });
      await alice.post(`/api/instances/${id}/chats/${PSID}/typing`).send({}).expect(200);
      expect(lastSend().body).toEqual({ recipient: { id: PSID }, sender_action: 'typing_on' });
      await alice.post(`/api/instances/${id}/chats/${PSID}/typing`).send({ on: false }).expect(200);
      expect(lastSend().body).toEqual({ recipient: { id: PSID }, sender_action: 'typing_off' });
      const upload = await alice
        .post(`/api/instances/${id}/messages/upload`)
        .field('to', PSID)
        .field('type', 'image')
        .attach('file', Buffer.from('png'), { filename: 'a.png', contentType: 'image/png' })
        .expect(422);
      expect(upload.body).toMatchObject({ code: 'media_upload_unsupported', provider: 'facebook-messenger' });
    });

    it('Graph errors: 100/2018001 and 551 name the recipient problem, 613 → 429', async () => {
      const path = new RegExp(`^/${PAGE}/messages$`);
      graph.failNext(path, GRAPH_ERRORS.noMatchingUser);
      expect((await send({ to: PSID, type: 'text', text: 'a' }).expect(422)).body).toMatchObject({
        code: 'recipient_not_found',
        providerCode: 100,
        graphError: { error_subcode: 2018001, fbtrace_id: 'AX7LwGmBMuz' },
      });
      graph.failNext(path, {
        status: 400,
        error: {
          message: "(#551) This person isn't available right now.",
          type: 'OAuthException',
          code: 551,
        },
      });
      expect((await send({ to: PSID, type: 'text', text: 'b' }).expect(422)).body.code).toBe(
        'recipient_unavailable',
      );
      graph.failNext(path, {
        status: 400,
        error: {
          message: '(#613) Calls to this api have exceeded the rate limit.',
          type: 'OAuthException',
          code: 613,
        },
      });
      const limited = await send({ to: PSID, type: 'text', text: 'c' }).expect(429);
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    });
  });

  describe('inbound', () => {
    const url = () => `${t.baseUrl}/webhooks/messenger`;

    it('stores every fixture payload with the right type, or skips it with a reason', async () => {
      const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
      let stored = 0;
      for (const [i, f] of files.entries()) {
        const body = uniquify(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')), `f${i}`);
        const res = await graph.pushWebhook(`${url()}/${id}`, body, SECRET);
        expect({ f, status: res.status }).toEqual({ f, status: 200 });
        for (const e of body.entry ?? []) {
          for (const item of normalizeMessengerEntry(e)) {
            const [ev] = await rows(
              `SELECT outcome, skip_reason FROM inbound_events WHERE instance_id = $1 AND provider_event_id = $2`,
              [id, item.providerEventId],
            );
            expect({ f, archived: !!ev }).toEqual({ f, archived: true });
            if (item.result.kind === 'message') {
              const m = item.result.message;
              const [row] = await rows(
                'SELECT type, text, direction, media, location, reaction, reply_to FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
                [id, m.providerMessageId],
              );
              expect({ f, type: row?.type, direction: row?.direction }).toEqual({
                f,
                type: m.type,
                direction: m.fromMe ? 'out' : 'in',
              });
              if (m.text !== undefined) expect(row.text).toBe(m.text);
              if (m.media) expect(row.media).toEqual(m.media);
              if (m.location) expect(row.location).toEqual(m.location);
              if (m.reaction) expect(row.reaction).toEqual(m.reaction);
              expect(row.reply_to).toBe(m.replyTo ?? null);
              stored += 1;
            } else if (item.result.kind === 'skip') {
              expect(ev).toEqual({ outcome: 'skipped', skip_reason: item.result.reason });
            }
          }
        }
      }
      expect(stored).toBeGreaterThan(15);
    });

    it('wrong or missing signatures → 401 and nothing stored', async () => {
      const before = await count('SELECT count(*)::int AS n FROM inbound_events');
      for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.json'))) {
        const body = uniquify(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')), 'bad');
        expect((await graph.pushWebhook(`${url()}/${id}`, body, 'wrong')).status).toBe(401);
      }
      const body = event(PAGE, {
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: 1,
        message: { mid: 'm_NOSIG' },
      });
      expect((await graph.pushWebhook(url(), body, null)).status).toBe(401);
      expect(await count('SELECT count(*)::int AS n FROM inbound_events')).toBe(before);
    });

    it('routes by entry.id, escapes unicode like Meta, and stores a redelivery once', async () => {
      const text = 'Grüße みどり 👋';
      const body = event(PAGE, {
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: Date.now(),
        message: { mid: 'm_UNI', text },
      });
      const first = await graph.pushWebhook(url(), body, SECRET);
      expect(first.raw).toContain('\\u00fc');
      expect(JSON.parse(first.text)).toMatchObject({ stored: 1 });
      expect(JSON.parse((await graph.pushWebhook(url(), body, SECRET)).text)).toMatchObject({
        duplicates: 1,
      });
      const found = await rows(`SELECT instance_id, text FROM messages WHERE provider_message_id = 'm_UNI'`);
      expect(found).toEqual([{ instance_id: id, text }]);
      const other = event(PAGE_2, {
        sender: { id: PSID },
        recipient: { id: PAGE_2 },
        timestamp: 1,
        message: { mid: 'm_P2' },
      });
      expect((await graph.pushWebhook(url(), other, SECRET)).status).toBe(401);
    });

    it('echoes are stored as ours (once for messages we sent); watermarks move our messages forward', async () => {
      const to = '2000000000099';
      const a = await send({ to, type: 'text', text: 'first' }).expect(201);
      const b = await send({ to, type: 'text', text: 'second' }).expect(201);
      const echo = (mid: string, text: string) =>
        event(PAGE, {
          sender: { id: PAGE },
          recipient: { id: to },
          timestamp: Date.now(),
          message: { mid, text, is_echo: true },
        });
      expect((await graph.pushWebhook(url(), echo(a.body.providerMessageId, 'first'), SECRET)).status).toBe(
        200,
      );
      expect(
        await count(
          `SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
          [id, a.body.providerMessageId],
        ),
      ).toBe(1);
      await graph.pushWebhook(url(), echo('m_FROM_INBOX', 'typed in the Page inbox'), SECRET);
      const [inbox] = await rows(
        `SELECT m.direction, m.status, c.provider_chat_id FROM messages m JOIN chats c ON c.id = m.chat_id WHERE m.provider_message_id = 'm_FROM_INBOX'`,
      );
      expect(inbox).toEqual({ direction: 'out', status: 'sent', provider_chat_id: to });
      const sentEvents = await count(
        `SELECT count(*)::int AS n FROM events WHERE type = 'message_sent' AND payload->>'providerMessageId' = 'm_FROM_INBOX'`,
      );
      expect(sentEvents).toBe(1);

      const watermark = Date.now() + 1000;
      const delivery = event(PAGE, {
        sender: { id: to },
        recipient: { id: PAGE },
        delivery: { mids: [b.body.providerMessageId], watermark },
      });
      expect(JSON.parse((await graph.pushWebhook(url(), delivery, SECRET)).text)).toMatchObject({
        stored: 1,
      });
      const statuses = async () =>
        (
          await rows('SELECT status FROM messages WHERE id = ANY($1) ORDER BY created_at', [
            [a.body.id, b.body.id],
          ])
        ).map((r) => r.status);
      expect(await statuses()).toEqual(['delivered', 'delivered']);
      const read = event(PAGE, {
        sender: { id: to },
        recipient: { id: PAGE },
        timestamp: watermark,
        read: { watermark },
      });
      await graph.pushWebhook(url(), read, SECRET);
      expect(await statuses()).toEqual(['read', 'read']);
      const older = event(PAGE, {
        sender: { id: to },
        recipient: { id: PAGE },
        delivery: { watermark: watermark + 5 },
      });
      expect(JSON.parse((await graph.pushWebhook(url(), older, SECRET)).text)).toMatchObject({
        stored: 0,
        skipped: 1,
      });
      expect(await statuses()).toEqual(['read', 'read']);
      const events = await rows(
        `SELECT payload->>'status' AS s FROM events WHERE type = 'message_status' AND payload->>'messageId' = $1 ORDER BY sequence`,
        [a.body.id],
      );
      expect(events.map((e) => e.s)).toEqual(['delivered', 'read']);
    });

    it('190 from the Send API → 502 and needs_reauth', async () => {
      graph.failNext(new RegExp(`^/${PAGE}/messages$`), GRAPH_ERRORS.expiredToken);
      const res = await send({ to: PSID, type: 'text', text: 'expired' }).expect(502);
      expect(res.body).toMatchObject({ code: 'provider_unauthorized', providerCode: 190 });
      expect((await alice.get(`/api/instances/${id}/status`).expect(200)).body.status).toBe('needs_reauth');
    });
  });
});
