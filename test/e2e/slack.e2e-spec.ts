import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { SlackAdapter } from '../../src/modules/providers/slack/slack.adapter';
import { SlackSocketConnection } from '../../src/modules/providers/slack/slack.connection';
import { verifySlackSignature } from '../../src/modules/providers/slack/slack-signature';
import { FakeSlack, SlackBot, slackJson } from '../fakes/fake-slack';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/slack');
const BOT_TOKEN = 'xoxb-1111-2222-fakebottoken';
const BOT_TOKEN_SOCKET = 'xoxb-3333-4444-fakebottoken';
const APP_TOKEN = 'xapp-1-A0APP1-5555-fakeapptoken';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const CHANNEL = 'C0GENERAL1';
const ALICE = 'U0ALICE01';
/** A channel only inbound events name (outbound sends create their chats as 1:1). */
const INBOUND = 'C0INBOUND1';

type Row = Record<string, unknown>;
interface Outcome {
  stored: boolean;
  duplicate: boolean;
  skipReason?: string;
}

/**
 * Slack end to end against the fake Slack (Web API over HTTP, Socket Mode over WebSocket), real
 * PostgreSQL and Redis: Events API requests over HTTP to `/webhooks/slack/:instanceId` (the generic
 * inbound pipeline), Socket Mode connections run by the connection runtime of the test app
 * (APP_ROLE=all).
 */
describe('Slack (e2e)', () => {
  let t: TestApp;
  /** A second app (its own connection runtime) on the same database and Redis. */
  let second: TestApp | undefined;
  let fake: FakeSlack;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let bot: SlackBot;
  let id: string;
  let adapter: SlackAdapter;

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const count = async (sql: string, params: unknown[] = []) => Number((await rows(sql, params))[0].n);
  const create = (config: Row, extra: Row = {}) =>
    alice.post('/api/instances').send({
      provider: 'slack',
      name: 'slack workspace',
      config,
      webhookUrl: receiver.url('/hook/slack'),
      retryInterval: 100,
      ...extra,
    });
  const send = (body: Row) => alice.post(`/api/instances/${id}/messages`).send(body);

  /**
   * One Events API request over HTTP to the Request URL (`POST /webhooks/slack/:instanceId`).
   * `outcomes` reads the pipeline's answer `{stored, duplicates, skipped}` as one outcome, with the
   * skip reason archived for the envelope's event_id.
   */
  const deliver = async (
    instanceId: string,
    req: { rawBody: Buffer; headers: Record<string, string> },
  ): Promise<{ status: number; body: Row; outcomes: Outcome[] }> => {
    const res = await request(`${t.baseUrl}/webhooks/slack/${instanceId}`, {
      method: 'POST',
      headers: req.headers,
      body: req.rawBody,
    });
    const text = await res.body.text();
    let body: Row;
    try {
      body = JSON.parse(text) as Row;
    } catch {
      body = { text };
    }
    const outcomes: Outcome[] = [];
    if (res.statusCode === 200 && typeof body.stored === 'number') {
      let skipReason: string | undefined;
      if (Number(body.skipped) > 0) {
        const eventId = (JSON.parse(req.rawBody.toString('utf8')) as Row).event_id;
        const [row] = await rows(
          'SELECT skip_reason FROM inbound_events WHERE instance_id = $1 AND provider_event_id = $2',
          [instanceId, eventId],
        );
        skipReason = row?.skip_reason as string | undefined;
      }
      outcomes.push({
        stored: Number(body.stored) > 0,
        duplicate: Number(body.duplicates) > 0,
        ...(skipReason ? { skipReason } : {}),
      });
    }
    return { status: res.statusCode, body, outcomes };
  };
  const push = (event: Row, opts: Parameters<FakeSlack['signedRequest']>[2] & { eventId?: string } = {}) =>
    deliver(id, fake.signedRequest(fake.envelope(bot, event, opts.eventId), SIGNING_SECRET, opts));
  const message = (providerMessageId: string) =>
    rows('SELECT * FROM messages WHERE instance_id = $1 AND provider_message_id = $2', [
      id,
      providerMessageId,
    ]).then((r) => r[0]);

  beforeAll(async () => {
    fake = await FakeSlack.start();
    bot = fake.addBot({ token: BOT_TOKEN, team: 'Acme', user: 'switchboard' });
    fake.addChannel(CHANNEL);
    fake.addChannel('C0OUTSIDE1', { member: false });
    fake.addChannel('C0ARCHIVE1', { archived: true });
    fake.addUser({ id: ALICE, name: 'alice', real_name: 'Alice Liddell', display_name: 'alice.l' });
    fake.addUser({ id: 'U0BOB0001', name: 'bob', real_name: 'Bob Builder' });
    receiver = await WebhookReceiver.start();
    SlackSocketConnection.clientPingTimeoutMs = 300;
    t = await startTestApp({
      SLACK_API_URL: fake.apiUrl,
      CONNECTION_RECONNECT_BASE_MS: '50',
      CONNECTION_RECONNECT_MAX_MS: '200',
    });
    adapter = t.app.get(SlackAdapter);
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await second?.close();
    await t.close();
    await fake.stop();
    await receiver.stop();
  });

  describe('create', () => {
    it('refuses a bot token Slack rejects (422 naming config.botToken, nothing stored)', async () => {
      const bad = await create({
        botToken: 'xoxb-0000-bad',
        signingSecret: SIGNING_SECRET,
        socketMode: false,
      }).expect(422);
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bad.body).toMatchObject({
        code: 'invalid_bot_token',
        provider: 'slack',
        providerCode: 'invalid_auth',
        errors: [{ field: 'config.botToken', message: 'rejected by Slack: invalid_auth' }],
      });
      expect(fake.lastCall('auth.test')).toMatchObject({ token: 'xoxb-0000-bad' });
      expect(await count('SELECT count(*)::int AS n FROM slack_instances')).toBe(0);
      expect(await count(`SELECT count(*)::int AS n FROM instances WHERE provider = 'slack'`)).toBe(0);
    });

    it('validates the config shape (400 naming the field)', async () => {
      const noSecret = await create({ botToken: BOT_TOKEN }).expect(400);
      expect(JSON.stringify(noSecret.body.errors)).toContain('signingSecret');
      const userToken = await create({ botToken: 'xoxp-123-user', signingSecret: SIGNING_SECRET }).expect(
        400,
      );
      expect(JSON.stringify(userToken.body.errors)).toContain('botToken must be a bot token');
      const noApp = await create({ botToken: BOT_TOKEN, socketMode: true }).expect(400);
      expect(JSON.stringify(noApp.body.errors)).toContain('appToken');
      expect(await count('SELECT count(*)::int AS n FROM slack_instances')).toBe(0);
    });

    it('creates with auth.test, stores the secrets encrypted and masks them', async () => {
      const res = await create({
        botToken: BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        socketMode: false,
      }).expect(201);
      id = res.body.id;
      expect(res.body).toMatchObject({ provider: 'slack', status: 'connected' });
      const auth = fake.lastCall('auth.test')!;
      expect(auth.token).toBe(BOT_TOKEN);
      const [row] = await rows('SELECT * FROM slack_instances WHERE instance_id = $1', [id]);
      expect(row).toMatchObject({
        team_id: bot.teamId,
        team_name: 'Acme',
        bot_user_id: bot.userId,
        bot_id: bot.botId,
        bot_name: 'switchboard',
        socket_mode: false,
        app_token_enc: null,
      });
      expect(JSON.stringify(row)).not.toContain(BOT_TOKEN);
      expect(JSON.stringify(row)).not.toContain(SIGNING_SECRET);
      const one = await alice.get(`/api/instances/${id}`).expect(200);
      expect(one.body.config).toMatchObject({
        teamId: bot.teamId,
        botUserId: bot.userId,
        socketMode: false,
        accountName: '@switchboard (Acme)',
      });
      expect(JSON.stringify(one.body)).not.toContain(BOT_TOKEN);
      expect(JSON.stringify(one.body)).not.toContain(SIGNING_SECRET);
      const again = await create({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET }).expect(409);
      expect(again.body.code).toBe('bot_already_connected');
    });

    it('GET /api/providers describes the Slack config with its secrets writeOnly', async () => {
      const res = await alice.get('/api/providers').expect(200);
      const slack = res.body.providers.find((p: { provider: string }) => p.provider === 'slack');
      expect(slack.configSchema.properties).toMatchObject({
        botToken: { type: 'string', writeOnly: true, format: 'password' },
        signingSecret: { type: 'string', writeOnly: true, format: 'password' },
        appToken: { type: 'string', writeOnly: true, format: 'password' },
        socketMode: { type: 'boolean' },
      });
      expect(slack.configSchema.required).toEqual(['botToken']);
    });

    it('lists Slack capabilities', async () => {
      const caps = await alice.get(`/api/instances/${id}/capabilities`).expect(200);
      expect(caps.body).toMatchObject({
        provider: 'slack',
        types: ['text', 'image', 'video', 'audio', 'voice', 'document', 'location', 'contacts', 'reaction'],
        textMaxLength: 40000,
        mediaUpload: true,
        reactions: true,
        inbound: ['webhook', 'gateway'],
      });
    });
  });

  describe('outbound', () => {
    it('sends text with chat.postMessage (form body, Bearer) and stores <channel>:<ts>', async () => {
      const res = await send({
        to: CHANNEL,
        type: 'text',
        text: 'Hello *team* https://example.com/a',
      }).expect(201);
      const call = fake.lastCall('chat.postMessage')!;
      expect(call.token).toBe(BOT_TOKEN);
      expect(call.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(call.body).toMatchObject({
        channel: CHANNEL,
        text: 'Hello *team* https://example.com/a',
        mrkdwn: 'true',
      });
      expect(res.body.providerMessageId).toMatch(new RegExp(`^${CHANNEL}:\\d+\\.\\d{6}$`));
      expect(res.body.status).toBe('sent');
    });

    it('replies in a thread: replyTo → thread_ts', async () => {
      const parent = await send({ to: CHANNEL, type: 'text', text: 'parent' }).expect(201);
      await send({ to: CHANNEL, type: 'text', text: 'child', replyTo: parent.body.id }).expect(201);
      const parentTs = String(parent.body.providerMessageId).split(':')[1];
      expect(fake.lastCall('chat.postMessage')!.body).toMatchObject({
        channel: CHANNEL,
        text: 'child',
        thread_ts: parentTs,
      });
      await send({
        to: CHANNEL,
        type: 'text',
        text: 'by ts',
        replyTo: `${CHANNEL}:1700000000.000100`,
      }).expect(201);
      expect(fake.lastCall('chat.postMessage')!.body.thread_ts).toBe('1700000000.000100');
      const bad = await send({ to: CHANNEL, type: 'text', text: 'x', replyTo: 'not-a-ts' }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'replyTo' })]);
    });

    it('sends an image by URL as an image block, other media as links', async () => {
      await send({
        to: CHANNEL,
        type: 'image',
        media: { url: 'https://cdn.example.com/cat.png' },
        caption: 'a cat',
      }).expect(201);
      const img = fake.lastCall('chat.postMessage')!.body;
      expect(img.text).toBe('a cat');
      expect(JSON.parse(String(img.blocks))).toEqual([
        { type: 'section', text: { type: 'mrkdwn', text: 'a cat' } },
        { type: 'image', image_url: 'https://cdn.example.com/cat.png', alt_text: 'a cat' },
      ]);
      await send({
        to: CHANNEL,
        type: 'document',
        media: { url: 'https://cdn.example.com/r.pdf' },
        filename: 'report.pdf',
      }).expect(201);
      expect(fake.lastCall('chat.postMessage')!.body.text).toBe('<https://cdn.example.com/r.pdf|report.pdf>');
    });

    it('sends location and contacts as formatted text', async () => {
      await send({
        to: CHANNEL,
        type: 'location',
        latitude: 52.37,
        longitude: 4.89,
        name: 'Dam <Square>',
        address: 'Amsterdam',
      }).expect(201);
      const loc = String(fake.lastCall('chat.postMessage')!.body.text);
      expect(loc).toContain(':round_pushpin: *Dam &lt;Square&gt;*');
      expect(loc).toContain('Amsterdam');
      expect(loc).toContain('|52.37, 4.89>');
      await send({
        to: CHANNEL,
        type: 'contacts',
        contacts: [
          { name: 'Ann', phone: '+31 6 1234' },
          {
            name: 'Ben <B>',
            phones: [
              { phone: '+1 555 0100', type: 'WORK' },
              { phone: '+1 555 0101', type: 'CELL' },
            ],
            emails: [{ email: 'ben@example.com', type: 'WORK' }],
            org: { company: 'Acme', title: 'CTO' },
          },
        ],
      }).expect(201);
      expect(fake.lastCall('chat.postMessage')!.body.text).toBe(
        [
          ':bust_in_silhouette: *Ann*',
          ':telephone_receiver: +31 6 1234 (CELL)',
          '',
          ':bust_in_silhouette: *Ben &lt;B&gt;* — Acme, CTO',
          ':telephone_receiver: +1 555 0100 (WORK)',
          ':telephone_receiver: +1 555 0101 (CELL)',
          ':email: ben@example.com (WORK)',
        ].join('\n'),
      );
    });

    it('reacts with the emoji name Slack knows (👍 → +1, skin tones, names)', async () => {
      await send({
        to: CHANNEL,
        type: 'reaction',
        messageId: `${CHANNEL}:1700000000.000200`,
        emoji: '👍',
      }).expect(201);
      expect(fake.lastCall('reactions.add')!.body).toEqual({
        channel: CHANNEL,
        timestamp: '1700000000.000200',
        name: '+1',
      });
      await send({ to: CHANNEL, type: 'reaction', messageId: '1700000000.000201', emoji: '👋🏽' }).expect(201);
      expect(fake.lastCall('reactions.add')!.body).toMatchObject({
        timestamp: '1700000000.000201',
        name: 'wave::skin-tone-4',
      });
      await send({ to: CHANNEL, type: 'reaction', messageId: '1700000000.000202', emoji: '❤️' }).expect(201);
      expect(fake.lastCall('reactions.add')!.body.name).toBe('heart');
      const bad = await send({
        to: CHANNEL,
        type: 'reaction',
        messageId: '1700000000.000203',
        emoji: 'not an emoji!',
      }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'emoji' })]);
    });

    it('opens a DM for a user id (conversations.open) and posts there', async () => {
      const before = fake.callsTo('conversations.open').length;
      const res = await send({ to: ALICE, type: 'text', text: 'hi Alice' }).expect(201);
      expect(fake.callsTo('conversations.open').slice(before)).toEqual([
        expect.objectContaining({ body: { users: ALICE } }),
      ]);
      expect(fake.lastCall('chat.postMessage')!.body).toMatchObject({
        channel: 'D0ALICE01',
        text: 'hi Alice',
      });
      expect(res.body.providerMessageId).toMatch(/^D0ALICE01:/);
      const bad = await send({ to: 'alice', type: 'text', text: 'x' }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    });

    it('uploads a file: getUploadURLExternal, bytes to upload_url, completeUploadExternal into the channel', async () => {
      const bytes = Buffer.from('%PDF-1.4 slack upload test');
      const res = await alice
        .post(`/api/instances/${id}/messages/upload`)
        .field('to', CHANNEL)
        .field('type', 'document')
        .field('caption', 'the report')
        .attach('file', bytes, { filename: 'report.pdf', contentType: 'application/pdf' })
        .expect(201);
      expect(fake.lastCall('files.getUploadURLExternal')!.body).toEqual({
        filename: 'report.pdf',
        length: String(bytes.length),
      });
      const up = fake.lastCall('upload')!;
      expect(up.token).toBe(BOT_TOKEN);
      expect(up.body.body).toMatchObject({ size: bytes.length });
      const done = fake.lastCall('files.completeUploadExternal')!.body;
      const fileId = JSON.parse(String(done.files))[0].id as string;
      expect(done).toMatchObject({ channel_id: CHANNEL, initial_comment: 'the report' });
      expect(JSON.parse(String(done.files))).toEqual([{ id: fileId, title: 'report.pdf' }]);
      expect(fake.fileBytes(fileId)).toEqual(bytes);
      expect(res.body.providerMessageId).toBe(`${CHANNEL}:${fileId}`);
    });
  });

  describe('errors', () => {
    it('channel_not_found → 404 with Slack’s code, the message failed', async () => {
      const res = await send({ to: 'C0NOWHERE1', type: 'text', text: 'x' }).expect(404);
      expect(res.body).toMatchObject({
        code: 'chat_not_found',
        provider: 'slack',
        providerCode: 'channel_not_found',
      });
      const [m] = await rows(
        `SELECT status FROM messages WHERE instance_id = $1 AND text = 'x' ORDER BY created_at DESC LIMIT 1`,
        [id],
      );
      expect(m.status).toBe('failed');
    });

    it('not_in_channel → 422 telling to invite the bot; is_archived → 422', async () => {
      const res = await send({ to: 'C0OUTSIDE1', type: 'text', text: 'x' }).expect(422);
      expect(res.body).toMatchObject({ code: 'bot_not_in_channel', providerCode: 'not_in_channel' });
      expect(res.body.detail).toMatch(/invite the bot/);
      const arch = await send({ to: 'C0ARCHIVE1', type: 'text', text: 'x' }).expect(422);
      expect(arch.body).toMatchObject({ code: 'channel_archived', providerCode: 'is_archived' });
    });

    it('msg_too_long → 422; text beyond 40,000 characters is refused before Slack', async () => {
      fake.failNext('chat.postMessage', 'msg_too_long');
      const res = await send({ to: CHANNEL, type: 'text', text: 'long' }).expect(422);
      expect(res.body).toMatchObject({ code: 'text_too_long', providerCode: 'msg_too_long' });
      const calls = fake.callsTo('chat.postMessage').length;
      const over = await send({ to: CHANNEL, type: 'text', text: 'x'.repeat(40_001) }).expect(422);
      expect(over.body.errors).toEqual([expect.objectContaining({ field: 'text' })]);
      expect(fake.callsTo('chat.postMessage').length).toBe(calls);
    });

    it('429 reaches the caller at once as 429 with Retry-After (no retry inside the client)', async () => {
      const calls = fake.callsTo('chat.postMessage').length;
      fake.failNext('chat.postMessage', 'ratelimited', { status: 429, retryAfter: 42 });
      const res = await send({ to: CHANNEL, type: 'text', text: 'rate' }).expect(429);
      expect(res.headers['retry-after']).toBe('42');
      expect(res.body).toMatchObject({ code: 'provider_rate_limited', provider: 'slack', retryAfter: 42 });
      expect(fake.callsTo('chat.postMessage').length).toBe(calls + 1);
    });

    it('missing_scope → 422 naming the scope', async () => {
      fake.failNext('chat.postMessage', 'missing_scope', {
        extra: { needed: 'chat:write', provided: 'channels:history' },
      });
      const res = await send({ to: CHANNEL, type: 'text', text: 'scope' }).expect(422);
      expect(res.body).toMatchObject({ code: 'provider_missing_scope', providerCode: 'missing_scope' });
      expect(res.body.detail).toContain('chat:write');
    });

    it.each(['invalid_auth', 'token_revoked', 'account_inactive'])(
      '%s → 502 provider_unauthorized and the instance needs_reauth',
      async (code) => {
        fake.failNext('chat.postMessage', code);
        const res = await send({ to: CHANNEL, type: 'text', text: code }).expect(502);
        expect(res.body).toMatchObject({ code: 'provider_unauthorized', providerCode: code });
        const st = await alice.get(`/api/instances/${id}/status`).expect(200);
        expect(st.body.status).toBe('needs_reauth');
        await alice.post(`/api/instances/${id}/reconnect`).expect(200);
        expect((await alice.get(`/api/instances/${id}/status`).expect(200)).body.status).toBe('connected');
      },
    );
  });

  describe('Events API', () => {
    it('verifies the v0 signature over the raw bytes (Slack’s official vector)', async () => {
      const body = Buffer.from(
        'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
      );
      const sig = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
      expect(verifySlackSignature(SIGNING_SECRET, body, sig, '1531420618', 1531420618_000)).toEqual({
        ok: true,
      });
      expect(
        verifySlackSignature(
          SIGNING_SECRET,
          Buffer.concat([body, Buffer.from(' ')]),
          sig,
          '1531420618',
          1531420618_000,
        ).ok,
      ).toBe(false);
      expect(
        verifySlackSignature(SIGNING_SECRET, body, sig, '1531420618', (1531420618 + 301) * 1000).ok,
      ).toBe(false);
    });

    it('answers url_verification with the challenge', async () => {
      const body = JSON.parse(
        readFileSync(join(FIXTURES, 'python-slack-events-api/url_challenge.json'), 'utf8'),
      );
      const res = await deliver(id, fake.signedRequest(body, SIGNING_SECRET));
      expect(res).toMatchObject({ status: 200, body: { challenge: 'valid_challenge_token' } });
      const unsigned = await deliver(id, fake.signedRequest(body, null));
      expect(unsigned.status).toBe(401);
    });

    it('401 and nothing stored for a bad signature, a stale or future timestamp, a re-serialized body', async () => {
      const before = await count('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [
        id,
      ]);
      const ev = fake.envelope(bot, {
        type: 'message',
        channel: CHANNEL,
        user: ALICE,
        text: 'a/b',
        ts: fake.nextTs(),
      });
      const wrongSecret = await deliver(id, fake.signedRequest(ev, 'someothersecret00000'));
      expect(wrongSecret).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      const stale = await deliver(
        id,
        fake.signedRequest(ev, SIGNING_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      );
      expect(stale.status).toBe(401);
      expect(JSON.stringify(stale.body)).toContain('5 minutes');
      const future = await deliver(
        id,
        fake.signedRequest(ev, SIGNING_SECRET, { timestamp: Math.floor(Date.now() / 1000) + 400 }),
      );
      expect(future.status).toBe(401);
      // signed over Slack's bytes (`a\/b`), delivered re-serialized (`a/b`): must not verify
      const signed = fake.signedRequest(ev, SIGNING_SECRET);
      expect(signed.rawBody.toString()).toContain('a\\/b');
      const reserialized = { rawBody: Buffer.from(JSON.stringify(ev)), headers: signed.headers };
      expect((await deliver(id, reserialized)).status).toBe(401);
      const unknown = await deliver('00000000-0000-4000-8000-000000000000', signed);
      expect(unknown.status).toBe(401);
      expect(await count('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [id])).toBe(
        before,
      );
      // the same bytes as Slack sent them are accepted
      expect((await deliver(id, signed)).outcomes).toEqual([expect.objectContaining({ stored: true })]);
    });

    it('stores a channel message before answering, with the sender name from users.info (cached)', async () => {
      const ts = fake.nextTs();
      fake.addUser({ id: 'U0CAROL01', name: 'carol', real_name: 'Carol Danvers' });
      const infoBefore = fake.callsTo('users.info').length;
      const res = await push({
        type: 'message',
        channel: INBOUND,
        channel_type: 'channel',
        user: 'U0CAROL01',
        text: 'hello from Slack',
        ts,
        event_ts: ts,
      });
      expect(res.status).toBe(200);
      expect(res.outcomes).toEqual([expect.objectContaining({ stored: true, duplicate: false })]);
      const m = await message(`${INBOUND}:${ts}`);
      expect(m).toMatchObject({
        direction: 'in',
        type: 'text',
        text: 'hello from Slack',
        status: 'received',
      });
      expect(m.sender).toMatchObject({ id: 'U0CAROL01', name: 'Carol Danvers', username: 'carol' });
      const [chat] = await rows('SELECT * FROM chats WHERE id = $1', [m.chat_id]);
      expect(chat).toMatchObject({ provider_chat_id: INBOUND, type: 'group' });
      const delivered = await receiver.waitFor((r) => {
        const b = r.json as { data?: { providerMessageId?: string } } | undefined;
        return b?.data?.providerMessageId === `${INBOUND}:${ts}`;
      });
      expect((delivered.json as { data: unknown }).data).toMatchObject({
        text: 'hello from Slack',
        from: { id: 'U0CAROL01', name: 'Carol Danvers' },
      });
      const ts2 = fake.nextTs();
      await push({
        type: 'message',
        channel: INBOUND,
        channel_type: 'channel',
        user: 'U0CAROL01',
        text: 'again',
        ts: ts2,
      });
      expect(fake.callsTo('users.info').length - infoBefore).toBe(1);
    });

    it('deduplicates Slack retries by event_id (X-Slack-Retry-Num)', async () => {
      const ts = fake.nextTs();
      const event = { type: 'message', channel: CHANNEL, user: ALICE, text: 'retried', ts };
      const first = await push(event, { eventId: 'Ev0RETRY001' });
      const retry = await push(event, { eventId: 'Ev0RETRY001', retryNum: 1 });
      expect(first.outcomes[0]).toMatchObject({ stored: true });
      expect(retry).toMatchObject({
        status: 200,
        outcomes: [expect.objectContaining({ duplicate: true, stored: false })],
      });
      expect(
        await count(
          'SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
          [id, `${CHANNEL}:${ts}`],
        ),
      ).toBe(1);
      expect(
        await count(
          `SELECT count(*)::int AS n FROM events WHERE instance_id = $1 AND payload->>'providerMessageId' = $2`,
          [id, `${CHANNEL}:${ts}`],
        ),
      ).toBe(1);
    });

    it('stores a mention once when it arrives as app_mention and as message', async () => {
      const ts = fake.nextTs();
      const text = `<@${bot.userId}> ping`;
      const a = await push(
        { type: 'app_mention', channel: CHANNEL, user: ALICE, text, ts, event_ts: ts },
        { eventId: 'Ev0MENTION1' },
      );
      const b = await push(
        { type: 'message', channel: CHANNEL, channel_type: 'channel', user: ALICE, text, ts, event_ts: ts },
        { eventId: 'Ev0MENTION2' },
      );
      expect(a.outcomes[0]).toMatchObject({ stored: true });
      expect(b.outcomes[0]).toMatchObject({ stored: false, duplicate: true });
      expect(
        await count(
          'SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
          [id, `${CHANNEL}:${ts}`],
        ),
      ).toBe(1);
      expect(
        await count(
          `SELECT count(*)::int AS n FROM events WHERE instance_id = $1 AND payload->>'providerMessageId' = $2`,
          [id, `${CHANNEL}:${ts}`],
        ),
      ).toBe(1);
    });

    it('thread replies carry replyTo, DMs are private chats', async () => {
      const parent = fake.nextTs();
      const reply = fake.nextTs();
      await push({ type: 'message', channel: CHANNEL, user: ALICE, text: 'parent', ts: parent });
      await push({
        type: 'message',
        channel: CHANNEL,
        user: 'U0BOB0001',
        text: 'reply',
        ts: reply,
        thread_ts: parent,
        parent_user_id: ALICE,
      });
      expect(await message(`${CHANNEL}:${reply}`)).toMatchObject({
        reply_to: `${CHANNEL}:${parent}`,
        text: 'reply',
      });
      const dm = fake.nextTs();
      await push({
        type: 'message',
        channel: 'D0ALICE01',
        channel_type: 'im',
        user: ALICE,
        text: 'private hello',
        ts: dm,
      });
      const m = await message(`D0ALICE01:${dm}`);
      const [chat] = await rows('SELECT * FROM chats WHERE id = $1', [m.chat_id]);
      expect(chat).toMatchObject({ provider_chat_id: 'D0ALICE01', type: 'private' });
    });

    it('file_share is stored as media (one message per file), downloadable through the gateway with the bot token', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      fake.addFile('F0SHARED01', 'diagram.png', 'image/png', png, BOT_TOKEN);
      const ts = fake.nextTs();
      await push({
        type: 'message',
        subtype: 'file_share',
        channel: CHANNEL,
        user: ALICE,
        text: 'see this',
        ts,
        files: [
          {
            id: 'F0SHARED01',
            name: 'diagram.png',
            mimetype: 'image/png',
            size: png.length,
            url_private: 'x',
            original_w: 640,
            original_h: 480,
          },
          { id: 'F0SHARED02', name: 'notes.pdf', mimetype: 'application/pdf', size: 1234, url_private: 'y' },
        ],
      });
      // the second file of the share is its own media message in the same chat
      expect(await message(`${CHANNEL}:${ts}:F0SHARED02`)).toMatchObject({
        type: 'document',
        text: null,
        media: {
          providerMediaId: 'F0SHARED02',
          fileName: 'notes.pdf',
          mimeType: 'application/pdf',
          size: 1234,
        },
      });
      const m = await message(`${CHANNEL}:${ts}`);
      expect(m).toMatchObject({ type: 'image', text: 'see this' });
      expect(m.media).toMatchObject({
        providerMediaId: 'F0SHARED01',
        mimeType: 'image/png',
        fileName: 'diagram.png',
        width: 640,
        height: 480,
        caption: 'see this',
      });
      const dl = await alice
        .get(`/api/instances/${id}/messages/${m.id}/media`)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(dl.headers['content-type']).toBe('image/png');
      expect(dl.body).toEqual(png);
      expect(fake.lastCall('files.info')!.body).toEqual({ file: 'F0SHARED01' });
    });

    it('message_changed edits the stored row; message_deleted marks it deleted', async () => {
      const ts = fake.nextTs();
      await push({ type: 'message', channel: CHANNEL, user: ALICE, text: 'typo', ts });
      const editTs = fake.nextTs();
      const edit = await push({
        type: 'message',
        subtype: 'message_changed',
        channel: CHANNEL,
        hidden: true,
        message: { type: 'message', user: ALICE, text: 'fixed', ts, edited: { user: ALICE, ts: editTs } },
        previous_message: { type: 'message', user: ALICE, text: 'typo', ts },
        ts: editTs,
        event_ts: editTs,
      });
      expect(edit.outcomes[0]).toMatchObject({ stored: true });
      const edited = await message(`${CHANNEL}:${ts}`);
      expect(edited).toMatchObject({ text: 'fixed', type: 'text' });
      expect(edited.edited_at).not.toBeNull();
      const del = await push({
        type: 'message',
        subtype: 'message_deleted',
        channel: CHANNEL,
        hidden: true,
        deleted_ts: ts,
        previous_message: { type: 'message', user: ALICE, text: 'fixed', ts },
        ts: fake.nextTs(),
      });
      expect(del.outcomes[0]).toMatchObject({ stored: true });
      expect(await message(`${CHANNEL}:${ts}`)).toMatchObject({ type: 'deleted', text: null });
      expect(
        await count(
          'SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2',
          [id, `${CHANNEL}:${ts}`],
        ),
      ).toBe(1);
    });

    it('reaction_added is a reaction with the unicode emoji', async () => {
      const target = fake.nextTs();
      const res = await push({
        type: 'reaction_added',
        user: ALICE,
        reaction: 'thumbsup',
        item: { type: 'message', channel: CHANNEL, ts: target },
        item_user: bot.userId,
        event_ts: fake.nextTs(),
      });
      expect(res.outcomes[0]).toMatchObject({ stored: true });
      const [m] = await rows(
        `SELECT * FROM messages WHERE instance_id = $1 AND type = 'reaction' ORDER BY created_at DESC LIMIT 1`,
        [id],
      );
      expect(m.reaction).toEqual({ messageId: `${CHANNEL}:${target}`, emoji: '👍' });
    });

    it('skips bot messages and our own with a named reason', async () => {
      const cases: [Row, string][] = [
        [
          {
            type: 'message',
            subtype: 'bot_message',
            bot_id: 'B0OTHER01',
            channel: CHANNEL,
            text: 'beep',
            ts: fake.nextTs(),
          },
          'bot_message',
        ],
        [
          {
            type: 'message',
            bot_id: bot.botId,
            user: bot.userId,
            channel: CHANNEL,
            text: 'mine',
            ts: fake.nextTs(),
          },
          'own_message',
        ],
        [
          { type: 'message', user: bot.userId, channel: CHANNEL, text: 'mine too', ts: fake.nextTs() },
          'own_message',
        ],
        [
          {
            type: 'message',
            subtype: 'channel_join',
            user: ALICE,
            channel: CHANNEL,
            text: 'joined',
            ts: fake.nextTs(),
          },
          'unsupported_subtype:channel_join',
        ],
        [
          { type: 'member_joined_channel', user: ALICE, channel: CHANNEL },
          'unsupported_event:member_joined_channel',
        ],
      ];
      for (const [event, reason] of cases) {
        const res = await push(event);
        expect(res.outcomes).toEqual([expect.objectContaining({ stored: false, skipReason: reason })]);
      }
    });

    it('answers a signed body that is not JSON with 400; acknowledges interactivity forms without storing', async () => {
      const res = await deliver(
        id,
        fake.signedRequest(null, SIGNING_SECRET, { raw: '{"type":"event_callback",' }),
      );
      // refused before anything is stored: by the JSON body parser or by the adapter
      expect(res.status).toBe(400);
      expect(['bad_request', 'validation_failed']).toContain(res.body.code);
      const before = await count('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [
        id,
      ]);
      const form = fake.signedRequest(null, SIGNING_SECRET, {
        raw: 'payload=%7B%22type%22%3A%22block_actions%22%7D',
      });
      form.headers['content-type'] = 'application/x-www-form-urlencoded';
      expect(await deliver(id, form)).toMatchObject({
        status: 200,
        body: { ok: true, stored: 0, duplicates: 0, skipped: 0 },
      });
      const unsignedForm = { ...form, headers: { ...form.headers, 'x-slack-signature': 'v0=00' } };
      expect((await deliver(id, unsignedForm)).status).toBe(401);
      expect(await count('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [id])).toBe(
        before,
      );
    });

    /** Schema samples have blank ids ("" everywhere): give each a channel, user, ts and event_id. */
    function materialize(body: Row, n: number): Row {
      const ts = `1701000000.${String(100000 + n)}`;
      const fill = (o: unknown): unknown => {
        if (Array.isArray(o)) return o.map(fill);
        if (!o || typeof o !== 'object') return o;
        const out: Row = {};
        for (const [k, v] of Object.entries(o as Row)) {
          if (v === '' && ['channel', 'user', 'item_user', 'parent_user_id'].includes(k))
            out[k] = k === 'channel' ? CHANNEL : ALICE;
          else if (v === '' && ['ts', 'event_ts', 'deleted_ts'].includes(k)) out[k] = ts;
          else if (v === '' && k === 'reaction') out[k] = 'tada';
          else if (v === '' && k === 'id' && (o as Row).url_private !== undefined) out[k] = `F0FIX${n}`;
          else out[k] = fill(v);
        }
        return out;
      };
      const filled = fill(body) as Row;
      // the slack-morphism captures share one redacted event_id: keep it, made unique per file
      filled.event_id = `${String(body.event_id || 'Ev0FIXTURE')}~${n}`;
      if (!filled.type) filled.type = 'event_callback';
      return filled;
    }

    it('ingests every fixture in test/fixtures/slack as a stored message or a named skip', async () => {
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const f of readdirSync(dir)) {
          const p = join(dir, f);
          if (statSync(p).isDirectory()) walk(p);
          else if (f.endsWith('.json')) files.push(p);
        }
      };
      walk(FIXTURES);
      const outcomes: Record<string, string> = {};
      let n = 0;
      for (const file of files) {
        const body = JSON.parse(readFileSync(file, 'utf8')) as Row;
        // Web API response samples (auth.test.json, chat.postMessage.json …) are not events
        if (!('event' in body) && body.type !== 'url_verification') continue;
        n += 1;
        const res = await deliver(id, fake.signedRequest(materialize(body, n), SIGNING_SECRET));
        const name = file.slice(FIXTURES.length + 1);
        expect({ name, status: res.status }).toEqual({ name, status: 200 });
        const o = res.outcomes[0];
        outcomes[name] = !o
          ? 'answered'
          : o.stored
            ? 'stored'
            : o.duplicate
              ? 'duplicate'
              : `skip:${o.skipReason}`;
      }
      expect(outcomes).toEqual({
        'AppMentionPayload.json': 'stored',
        'MessageBotPayload.json': 'skip:bot_message',
        'MessageChangedPayload.json': 'stored',
        'MessageDeletedPayload.json': 'stored',
        'MessageFileSharePayload.json': 'stored',
        'MessageMePayload.json': 'stored',
        'MessagePayload.json': 'stored',
        'MessageRepliedPayload.json': 'skip:message_replied',
        'MessageThreadBroadcastPayload.json': 'stored',
        'ReactionAddedPayload.json': 'stored',
        'ReactionRemovedPayload.json': 'stored',
        'python-slack-events-api/reaction_added.json': 'stored',
        'python-slack-events-api/url_challenge.json': 'answered',
        'slack-morphism/message_changed.json': 'stored',
        'slack-morphism/message_changed_by_bot.json': 'skip:bot_message',
      });
    });
  });

  describe('Socket Mode (through the connection runtime)', () => {
    let sid: string;
    /** Most sockets open at once, sampled every 20 ms from the second worker's start to the end. */
    let most = 0;
    let sampler: NodeJS.Timeout | undefined;
    afterAll(() => clearInterval(sampler));
    const sockBot = () => ({ ...bot, teamId: 'T0FAKE2', userId: 'U0BOT2', botId: 'B0BOT2' });
    const status = async () => (await alice.get(`/api/instances/${sid}/status`).expect(200)).body;
    const stored = (ts: string) =>
      count('SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2', [
        sid,
        `${CHANNEL}:${ts}`,
      ]);

    beforeAll(() => {
      fake.addBot({ token: BOT_TOKEN_SOCKET, team: 'Sockets', user: 'sockbot' });
      fake.addAppToken(APP_TOKEN);
    });

    it('refuses an app token Slack rejects (422 naming config.appToken, nothing stored)', async () => {
      const bad = await create({
        botToken: BOT_TOKEN_SOCKET,
        socketMode: true,
        appToken: 'xapp-1-bad',
      }).expect(422);
      expect(bad.body).toMatchObject({
        code: 'invalid_app_token',
        errors: [expect.objectContaining({ field: 'config.appToken' })],
      });
      expect(await count('SELECT count(*)::int AS n FROM slack_instances WHERE socket_mode')).toBe(0);
    });

    it('creates a Socket Mode instance; a worker opens its socket and the instance is connected', async () => {
      const opens = fake.callsTo('apps.connections.open').length;
      const res = await create({ botToken: BOT_TOKEN_SOCKET, socketMode: true, appToken: APP_TOKEN }).expect(
        201,
      );
      sid = res.body.id;
      expect(await adapter.connectionTargets()).toEqual([sid]);
      const [row] = await rows(
        'SELECT socket_mode, signing_secret_enc, app_token_enc FROM slack_instances WHERE instance_id = $1',
        [sid],
      );
      expect(row).toMatchObject({ socket_mode: true, signing_secret_enc: null });
      expect(String(row.app_token_enc)).not.toContain(APP_TOKEN);
      await eventually(async () => (await status()).status === 'connected', 15_000, 'socket connected');
      await eventually(async () => fake.openSockets === 1, 5000, 'one socket');
      // one call at creation (the app token check), one for the socket
      expect(fake.callsTo('apps.connections.open').length).toBe(opens + 2);
      expect(fake.lastCall('apps.connections.open')!.token).toBe(APP_TOKEN);
    });

    it('stores each envelope and acks it only after the row is durable; a redelivery is stored once', async () => {
      const ts = fake.nextTs();
      const body = fake.envelope(
        sockBot(),
        { type: 'message', channel: CHANNEL, user: ALICE, text: 'over the socket', ts },
        'Ev0SOCKET01',
      );
      const { envelopeId, acked } = fake.pushSocketEvent(body);
      expect(await acked).toEqual({ envelope_id: envelopeId, payload: {} });
      // acked → already stored
      const [m] = await rows('SELECT * FROM messages WHERE instance_id = $1 AND provider_message_id = $2', [
        sid,
        `${CHANNEL}:${ts}`,
      ]);
      expect(m).toMatchObject({ text: 'over the socket', direction: 'in' });
      expect(m.sender).toMatchObject({ id: ALICE, name: 'alice.l' });
      const again = fake.pushSocketEvent(body, { retryAttempt: 1 });
      await again.acked;
      expect(await stored(ts)).toBe(1);
    });

    it('reconnects with a new URL on a disconnect frame', async () => {
      const opens = fake.callsTo('apps.connections.open').length;
      fake.sendDisconnect('refresh_requested');
      await eventually(
        async () => fake.callsTo('apps.connections.open').length > opens && fake.openSockets === 1,
        15_000,
        'reconnected',
      );
      expect(fake.callsTo('apps.connections.open').length).toBe(opens + 1);
      await eventually(async () => (await status()).status === 'connected', 10_000, 'connected again');
      const ts = fake.nextTs();
      const { acked } = fake.pushSocketEvent(
        fake.envelope(sockBot(), {
          type: 'message',
          channel: CHANNEL,
          user: ALICE,
          text: 'after reconnect',
          ts,
        }),
      );
      await acked;
      expect(await stored(ts)).toBe(1);
    });

    it('a second worker process does not open a second socket for the app', async () => {
      // stays up until the end of the file: later reconnects also race two runtimes for one lease
      second = await startTestApp({
        SLACK_API_URL: fake.apiUrl,
        CONNECTION_RECONNECT_BASE_MS: '50',
        CONNECTION_RECONNECT_MAX_MS: '200',
      });
      sampler = setInterval(() => (most = Math.max(most, fake.openSockets)), 20);
      // several target refreshes (every ≤ 2 s) of both runtimes
      await new Promise((r) => setTimeout(r, 5000));
      expect(most).toBe(1);
      expect(fake.openSockets).toBe(1);
    });

    it('a revoked app token stops the connection: needs_reauth, no reconnect storm', async () => {
      fake.failNext('apps.connections.open', 'token_revoked');
      const opens = fake.callsTo('apps.connections.open').length;
      fake.sendDisconnect('link_disabled');
      await eventually(async () => (await status()).status === 'needs_reauth', 15_000, 'needs_reauth');
      expect((await status()).reason).toContain('token_revoked');
      await new Promise((r) => setTimeout(r, 1500));
      expect(fake.callsTo('apps.connections.open').length).toBe(opens + 1);
      expect(fake.openSockets).toBe(0);
      // reconnect (the token works again): the worker opens the socket again
      await alice.post(`/api/instances/${sid}/reconnect`).expect(200);
      await eventually(async () => fake.openSockets === 1, 15_000, 'socket back');
    });

    it('logout closes the socket', async () => {
      await alice.post(`/api/instances/${sid}/logout`).expect(200);
      await eventually(async () => fake.openSockets === 0, 10_000, 'socket closed');
      expect((await status()).status).toBe('disconnected');
      // never two sockets for the app, through reconnects with two worker runtimes
      expect(most).toBe(1);
    });
  });

  describe('seed routes', () => {
    it('creates and sends through /api/v1/multi-provider, lists slack as active', async () => {
      fake.addBot({ token: 'xoxb-5555-6666-seedbot', team: 'Seeds', user: 'seedbot' });
      const res = await alice
        .post('/api/v1/multi-provider/instances')
        .send({
          provider: 'slack',
          config: { botToken: 'xoxb-5555-6666-seedbot', signingSecret: SIGNING_SECRET, socketMode: false },
        })
        .expect(201);
      expect(res.body).toMatchObject({ provider: 'slack', status: 'created' });
      const sent = await alice
        .post(`/api/v1/multi-provider/instances/slack/${res.body.instanceId}/send-message`)
        .send({ to: CHANNEL, message: 'from the seeds' })
        .expect(200);
      expect(sent.body).toMatchObject({ success: true });
      expect(fake.lastCall('chat.postMessage')).toMatchObject({
        token: 'xoxb-5555-6666-seedbot',
        body: { channel: CHANNEL, text: 'from the seeds' },
      });
      const active = await alice.get('/api/v1/multi-provider/active-providers').expect(200);
      expect(active.body.providers).toContain('slack');
      const stats = await alice.get('/api/v1/multi-provider/stats').expect(200);
      expect(stats.body.stats.Slack.count).toBeGreaterThanOrEqual(2);
    });
  });

  it('serializes like Slack: slashes escaped', () => {
    expect(slackJson({ u: 'https://x/y' })).toBe('{"u":"https:\\/\\/x\\/y"}');
  });
});
