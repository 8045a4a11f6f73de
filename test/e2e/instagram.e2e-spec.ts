import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTBOUND_TYPES } from '../../src/modules/providers/normalized';
import {
  MsEvent,
  MsWebhook,
  normalizeMessengerEntry,
} from '../../src/modules/providers/facebook-messenger/facebook-messenger.normalizer';
import { FakeGraphApi, GRAPH_ERRORS } from '../fakes/fake-graph-api';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/instagram');
/** The account of the restfb samples (entry.id). */
const IG = '17841452691600098';
const IG_TOKEN = 'IGAAUserToken01';
const IG_SECRET = 'instagram-app-secret-0001';
const META_SECRET = 'meta-app-secret-0001';
/** Page-linked variant. */
const IG_2 = '17841400000000002';
const PAGE_2 = '556677889900112';
const PAGE_TOKEN_2 = 'EAAPageTokenForIg2';
const IGSID = '5614879045272581';

type Row = Record<string, unknown>;

const VALID: Record<string, Row> = {
  text: { type: 'text', text: 'x' },
  image: { type: 'image', media: { url: 'https://cdn.example.com/x.png' } },
  video: { type: 'video', media: { url: 'https://cdn.example.com/x.mp4' } },
  audio: { type: 'audio', media: { url: 'https://cdn.example.com/x.mp3' } },
  voice: { type: 'voice', media: { url: 'https://cdn.example.com/x.ogg' } },
  document: { type: 'document', media: { url: 'https://cdn.example.com/x.pdf' } },
  sticker: { type: 'sticker', media: { providerMediaId: 'like_heart' } },
  location: { type: 'location', latitude: 1, longitude: 2 },
  contacts: { type: 'contacts', contacts: [{ name: 'A', phone: '+1555' }] },
  template: { type: 'template', template: { name: 'hello_world', language: 'en_US' } },
  reaction: { type: 'reaction', messageId: 'aWdf_x', emoji: '❤️' },
};

function event(igId: string, ev: MsEvent): MsWebhook {
  return { object: 'instagram', entry: [{ id: igId, time: Date.now(), messaging: [ev] }] };
}

/**
 * Instagram DMs end to end: Instagram Login on the Instagram host (default) and the Page-linked
 * variant on the Facebook host (two fake Graph servers prove which host is used), Send API
 * bodies, the restfb fixtures, signatures under either app secret, echoes and messaging_seen.
 */
describe('Instagram (e2e)', () => {
  let t: TestApp;
  let igGraph: FakeGraphApi;
  let fbGraph: FakeGraphApi;
  let alice: TestTenant;
  let id: string;
  let id2: string;

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const send = (instanceId: string, body: Row) =>
    alice.post(`/api/instances/${instanceId}/messages`).send(body);
  const url = () => `${t.baseUrl}/webhooks/instagram`;

  beforeAll(async () => {
    igGraph = await FakeGraphApi.start();
    igGraph.addInstagramAccount(IG, { token: IG_TOKEN, username: 'acme.shop' });
    fbGraph = await FakeGraphApi.start();
    fbGraph.addInstagramAccount(IG_2, { token: PAGE_TOKEN_2, username: 'acme.two' });
    fbGraph.addPage(PAGE_2, { token: PAGE_TOKEN_2 });
    t = await startTestApp({
      GRAPH_API_BASE_URL: fbGraph.baseUrl,
      INSTAGRAM_GRAPH_API_BASE_URL: igGraph.baseUrl,
      GRAPH_API_VERSION: 'v23.0',
    });
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await igGraph.stop();
    await fbGraph.stop();
  });

  it('creates instances for both logins after checking the account on the right host', async () => {
    const bad = await alice
      .post('/api/instances')
      .send({
        provider: 'instagram',
        name: 'bad',
        config: { igId: IG, accessToken: 'nope', appSecret: IG_SECRET, webhookVerifyToken: 'v' },
      })
      .expect(422);
    expect(bad.body).toMatchObject({
      code: 'invalid_access_token',
      provider: 'instagram',
      providerCode: 190,
    });
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'instagram',
        name: 'ig',
        config: {
          igId: IG,
          accessToken: IG_TOKEN,
          appSecret: IG_SECRET,
          metaAppSecret: META_SECRET,
          webhookVerifyToken: 'ig-verify',
        },
      })
      .expect(201);
    id = res.body.id;
    expect(igGraph.lastCall(new RegExp(`^/${IG}$`))).toMatchObject({ token: IG_TOKEN, version: 'v23.0' });
    const [row] = await rows(
      'SELECT ig_id, username, login FROM instagram_instances WHERE instance_id = $1',
      [id],
    );
    expect(row).toEqual({ ig_id: IG, username: 'acme.shop', login: 'instagram' });
    const res2 = await alice
      .post('/api/instances')
      .send({
        provider: 'instagram',
        name: 'ig page',
        config: {
          igId: IG_2,
          accessToken: PAGE_TOKEN_2,
          appSecret: META_SECRET,
          webhookVerifyToken: 'ig2-verify',
          login: 'facebook',
          pageId: PAGE_2,
        },
      })
      .expect(201);
    id2 = res2.body.id;
    expect(fbGraph.lastCall(new RegExp(`^/${IG_2}$`))?.token).toBe(PAGE_TOKEN_2);
    const q = { 'hub.mode': 'subscribe', 'hub.verify_token': 'ig-verify', 'hub.challenge': '7' };
    expect((await t.http().get('/webhooks/instagram').query(q).expect(200)).text).toBe('7');
    await t
      .http()
      .get('/webhooks/instagram')
      .query({ ...q, 'hub.verify_token': 'x' })
      .expect(403);
  });

  describe('outbound', () => {
    const covered = new Set<string>();
    const r = { recipient: { id: IGSID } };
    const cases: { name: string; dto: Row; body: Row }[] = [
      { name: 'text', dto: { type: 'text', text: 'hi' }, body: { ...r, message: { text: 'hi' } } },
      {
        name: 'image by URL',
        dto: VALID.image,
        body: {
          ...r,
          message: { attachment: { type: 'image', payload: { url: 'https://cdn.example.com/x.png' } } },
        },
      },
      {
        name: 'video by URL',
        dto: VALID.video,
        body: {
          ...r,
          message: { attachment: { type: 'video', payload: { url: 'https://cdn.example.com/x.mp4' } } },
        },
      },
      {
        name: 'audio by URL',
        dto: VALID.audio,
        body: {
          ...r,
          message: { attachment: { type: 'audio', payload: { url: 'https://cdn.example.com/x.mp3' } } },
        },
      },
      {
        name: 'document → file',
        dto: VALID.document,
        body: {
          ...r,
          message: { attachment: { type: 'file', payload: { url: 'https://cdn.example.com/x.pdf' } } },
        },
      },
      {
        name: 'like_heart sticker',
        dto: VALID.sticker,
        body: { ...r, message: { attachment: { type: 'like_heart' } } },
      },
      {
        name: 'love reaction',
        dto: VALID.reaction,
        body: { ...r, sender_action: 'react', payload: { message_id: 'aWdf_x', reaction: 'love' } },
      },
      {
        name: 'unreact',
        dto: { type: 'reaction', messageId: 'aWdf_x', emoji: '' },
        body: { ...r, sender_action: 'unreact', payload: { message_id: 'aWdf_x' } },
      },
    ];

    it.each(cases)(
      '$name → graph.instagram.com/<IG_ID>/messages with the exact body',
      async ({ dto, body }) => {
        const res = await send(id, { to: IGSID, ...dto }).expect(201);
        const call = igGraph.lastCall(new RegExp(`^/${IG}/messages$`), 'POST')!;
        expect(call.body).toEqual(body);
        expect(call.token).toBe(IG_TOKEN);
        expect(res.body.status).toBe('sent');
        covered.add(String(dto.type));
      },
    );

    it('the Page-linked variant sends to the Page on the Facebook host', async () => {
      await send(id2, { to: IGSID, type: 'text', text: 'via page' }).expect(201);
      expect(fbGraph.lastCall(new RegExp(`^/${PAGE_2}/messages$`))).toMatchObject({
        token: PAGE_TOKEN_2,
        body: { recipient: { id: IGSID }, message: { text: 'via page' } },
      });
    });

    it('capabilities tell the truth; 1,000-character limit, other stickers and reactions refused', async () => {
      const caps = await alice.get(`/api/instances/${id}/capabilities`).expect(200);
      for (const type of caps.body.types as string[]) expect(covered).toContain(type);
      for (const type of OUTBOUND_TYPES.filter((x) => !caps.body.types.includes(x))) {
        expect((await send(id, { to: IGSID, ...VALID[type] }).expect(422)).body.provider).toBe('instagram');
      }
      expect(
        (await send(id, { to: IGSID, type: 'text', text: 'x'.repeat(1001) }).expect(422)).body.code,
      ).toBe('text_too_long');
      const sticker = await send(id, {
        to: IGSID,
        type: 'sticker',
        media: { url: 'https://x.test/s.webp' },
      }).expect(422);
      expect(sticker.body.code).toBe('sticker_unsupported');
      const reaction = await send(id, { to: IGSID, type: 'reaction', messageId: 'm', emoji: '👍' }).expect(
        422,
      );
      expect(reaction.body.code).toBe('reaction_unsupported');
    });

    it('mark_seen, and 190 → needs_reauth', async () => {
      await igGraph.pushWebhook(
        url(),
        event(IG, {
          sender: { id: IGSID },
          recipient: { id: IG },
          timestamp: Date.now(),
          message: { mid: 'aWdf_IN1', text: 'hey' },
        }),
        IG_SECRET,
      );
      const [m] = await rows(`SELECT id FROM messages WHERE provider_message_id = 'aWdf_IN1'`);
      await alice.post(`/api/instances/${id}/messages/${m.id}/read`).expect(200);
      expect(igGraph.lastCall(new RegExp(`^/${IG}/messages$`))?.body).toEqual({
        recipient: { id: IGSID },
        sender_action: 'mark_seen',
      });
      fbGraph.failNext(new RegExp(`^/${PAGE_2}/messages$`), GRAPH_ERRORS.expiredToken);
      expect((await send(id2, { to: IGSID, type: 'text', text: 'x' }).expect(502)).body.providerCode).toBe(
        190,
      );
      expect((await alice.get(`/api/instances/${id2}/status`).expect(200)).body.status).toBe('needs_reauth');
    });
  });

  describe('inbound', () => {
    it('stores every fixture payload (or skips it naming the field); wrong signatures get 401', async () => {
      for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.json'))) {
        const body = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as MsWebhook;
        const before = (await rows('SELECT count(*)::int AS n FROM inbound_events'))[0].n;
        expect((await igGraph.pushWebhook(`${url()}/${id}`, body, 'wrong')).status).toBe(401);
        expect((await rows('SELECT count(*)::int AS n FROM inbound_events'))[0].n).toBe(before);
        expect({ f, status: (await igGraph.pushWebhook(`${url()}/${id}`, body, IG_SECRET)).status }).toEqual({
          f,
          status: 200,
        });
        for (const e of body.entry ?? []) {
          for (const item of normalizeMessengerEntry(e)) {
            const [ev] = await rows(
              'SELECT outcome, skip_reason FROM inbound_events WHERE instance_id = $1 AND provider_event_id = $2',
              [id, item.providerEventId],
            );
            expect({ f, archived: !!ev }).toEqual({ f, archived: true });
            if (item.result.kind === 'message') {
              const [m] = await rows(
                'SELECT type FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
                [id, item.result.message.providerMessageId],
              );
              expect(m.type).toBe(item.result.message.type);
            } else if (item.result.kind === 'skip') {
              expect(ev).toEqual({ outcome: 'skipped', skip_reason: item.result.reason });
            }
          }
        }
      }
    });

    it('accepts signatures under the Meta app secret too; shares, story mentions, reels and reactions', async () => {
      const body: MsWebhook = {
        object: 'instagram',
        entry: [
          {
            id: IG,
            time: Date.now(),
            messaging: [
              {
                sender: { id: IGSID },
                recipient: { id: IG },
                timestamp: Date.now(),
                message: {
                  mid: 'aWdf_SHARE',
                  attachments: [{ type: 'share', payload: { url: 'https://cdn.test/p' } }],
                },
              },
              {
                sender: { id: IGSID },
                recipient: { id: IG },
                timestamp: Date.now(),
                message: {
                  mid: 'aWdf_STORY',
                  attachments: [{ type: 'story_mention', payload: { url: 'https://cdn.test/s' } }],
                },
              },
              {
                sender: { id: IGSID },
                recipient: { id: IG },
                timestamp: Date.now(),
                message: {
                  mid: 'aWdf_REEL',
                  attachments: [{ type: 'ig_reel', payload: { url: 'https://cdn.test/r' } }],
                },
              },
              {
                sender: { id: IGSID },
                recipient: { id: IG },
                timestamp: Date.now(),
                reaction: { mid: 'aWdf_IN1', action: 'react', reaction: 'love', emoji: '❤' },
              },
            ],
          },
        ],
      };
      const res = await igGraph.pushWebhook(url(), body, META_SECRET);
      expect(JSON.parse(res.text)).toMatchObject({ stored: 4 });
      const found = await rows(
        `SELECT provider_message_id AS id, type, media->>'providerMediaId' AS url FROM messages
          WHERE provider_message_id IN ('aWdf_SHARE', 'aWdf_STORY', 'aWdf_REEL') ORDER BY 1`,
      );
      expect(found).toEqual([
        { id: 'aWdf_REEL', type: 'video', url: 'https://cdn.test/r' },
        { id: 'aWdf_SHARE', type: 'share', url: 'https://cdn.test/p' },
        { id: 'aWdf_STORY', type: 'story_mention', url: 'https://cdn.test/s' },
      ]);
      const [reaction] = await rows(
        `SELECT reaction FROM messages WHERE type = 'reaction' AND direction = 'in' AND instance_id = $1`,
        [id],
      );
      expect(reaction.reaction).toEqual({ messageId: 'aWdf_IN1', emoji: '❤' });
    });

    it('echoes are stored as ours; messaging_seen marks our messages read', async () => {
      const sent = await send(id, { to: IGSID, type: 'text', text: 'seen?' }).expect(201);
      await igGraph.pushWebhook(
        url(),
        event(IG, {
          sender: { id: IG },
          recipient: { id: IGSID },
          timestamp: Date.now(),
          message: { mid: 'aWdf_ECHO', text: 'from the app', is_echo: true },
        }),
        IG_SECRET,
      );
      const [echo] = await rows(
        `SELECT direction, status FROM messages WHERE provider_message_id = 'aWdf_ECHO'`,
      );
      expect(echo).toEqual({ direction: 'out', status: 'sent' });
      const seen = event(IG, {
        sender: { id: IGSID },
        recipient: { id: IG },
        timestamp: Date.now() + 1000,
        read: { mid: sent.body.providerMessageId },
      });
      expect(JSON.parse((await igGraph.pushWebhook(url(), seen, IG_SECRET)).text)).toMatchObject({
        stored: 1,
      });
      const [row] = await rows('SELECT status FROM messages WHERE id = $1', [sent.body.id]);
      expect(row.status).toBe('read');
    });
  });
});
