import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiscordAdapter } from '../../src/modules/providers/discord/discord.adapter';
import { sha256Hex } from '../../src/common/crypto/tokens';
import { FakeDiscord, INTENTS, rateLimited } from '../fakes/fake-discord';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/discord');
const TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.GfAkE1.discord-e2e-token-aaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'MTMwMDAwMDAwMDAwMDAwMDAwMg.GfAkE2.discord-e2e-token-bbbbbbbbbbbbbbbbbb';
const TOKEN_C = 'MTMwMDAwMDAwMDAwMDAwMDAwMw.GfAkE3.discord-e2e-token-cccccccccccccccccc';
const TOKEN_D = 'MTMwMDAwMDAwMDAwMDAwMDAwNA.GfAkE4.discord-e2e-token-dddddddddddddddddd';
const TOKEN_E = 'MTMwMDAwMDAwMDAwMDAwMDAwNQ.GfAkE5.discord-e2e-token-eeeeeeeeeeeeeeeeee';
const CLIENT_ID = '1300000000000000999';
const CHANNEL = '1312345678900000002';
const USER = '1300000000000000001';
const fixture = (rel: string) => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8'));

/**
 * Discord end to end against the fake Discord (REST + Gateway + signed interactions) on 127.0.0.1:
 * instance creation, every outbound type and error mapping through our API, the Gateway connection
 * run with a hand-made ConnectionContext (the connection runtime is not on this branch yet) storing
 * into PostgreSQL, RESUME / 4004 / 4014, the Interactions endpoint through `receive`.
 */
describe('Discord end to end (e2e)', () => {
  let t: TestApp;
  let discord: FakeDiscord;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let instanceId: string;
  let adapter: DiscordAdapter;
  const bot = { id: '1300000000000000777', username: 'relaybot' };

  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);
  const send = (body: Record<string, unknown>) =>
    alice.post(`/api/instances/${instanceId}/messages`).send(body);
  const lastPost = () => discord.calls('POST', /^\/channels\/\d+\/messages$/).at(-1)!;

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    discord.addBot(TOKEN, bot);
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      DISCORD_API_URL: discord.apiUrl,
      CONNECTION_RECONNECT_BASE_MS: '50',
      CONNECTION_RECONNECT_MAX_MS: '500',
    });
    alice = await createTenant(t);
    adapter = t.app.get(DiscordAdapter);
    // identify at once instead of the library's 5 s per-bucket pacing (slack-discord.md §A2)
    adapter.gatewayOptions = { buildIdentifyThrottler: async () => ({ waitForIdentify: async () => {} }) };
  });

  afterAll(async () => {
    await t.close();
    await discord.stop();
    await receiver.stop();
  });

  describe('instances', () => {
    it('rejects a token Discord refuses (GET /users/@me 401) with a 422 and stores nothing', async () => {
      const before = await rows('SELECT count(*)::int AS n FROM instances');
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'discord', name: 'bad', config: { botToken: TOKEN_C, clientId: CLIENT_ID } })
        .expect(422);
      expect(res.body).toMatchObject({ code: 'invalid_bot_token', provider: 'discord', providerCode: 401 });
      expect(res.body.errors).toEqual([{ field: 'config.botToken', message: 'rejected by Discord' }]);
      expect(await rows('SELECT count(*)::int AS n FROM instances')).toEqual(before);
      // other specs of the run share the database: count this bot's rows
      expect(
        await rows('SELECT count(*)::int AS n FROM discord_instances WHERE bot_token_hash = $1', [
          sha256Hex(TOKEN_C),
        ]),
      ).toEqual([{ n: 0 }]);
      const call = discord.calls('GET', '/users/@me').at(-1)!;
      expect(call.headers.authorization).toBe(`Bot ${TOKEN_C}`);
      expect(call.headers['user-agent']).toMatch(/^DiscordBot \(/);
    });

    it('validates the config and names the field', async () => {
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'discord', name: 'x', config: { botToken: TOKEN, clientId: 'abc', intents: [3] } })
        .expect(400);
      const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
      expect(fields).toEqual(['config.clientId', 'config.intents']);
      expect(res.body.errors.find((e: { field: string }) => e.field === 'config.intents').message).toMatch(
        /list of intent bit values/,
      );
      const calls = discord.requests.length;
      await alice
        .post('/api/instances')
        .send({ provider: 'discord', name: 'x', config: { botToken: 'nope', clientId: CLIENT_ID } })
        .expect(400);
      expect(discord.requests.length).toBe(calls);
    });

    it('creates with the seed shape: token checked, secret encrypted, intents as a bitfield', async () => {
      const res = await alice
        .post('/api/instances')
        .send({
          provider: 'discord',
          name: 'Relay',
          config: {
            botToken: TOKEN,
            clientId: CLIENT_ID,
            intents: [1, 512, 32768],
            publicKey: FakeDiscord.publicKeyHex,
          },
          webhookUrl: receiver.url('/discord'),
        })
        .expect(201);
      instanceId = res.body.id ?? res.body.instanceId;
      expect(res.body).toMatchObject({ provider: 'discord', status: 'connecting' });
      const [row] = await rows('SELECT * FROM discord_instances WHERE instance_id = $1', [instanceId]);
      expect(row).toMatchObject({
        bot_user_id: bot.id,
        bot_username: 'relaybot',
        client_id: CLIENT_ID,
        intents: 1 | 512 | 32768,
        public_key: FakeDiscord.publicKeyHex,
        gateway_stopped_reason: null,
      });
      expect(row.bot_token_enc).not.toContain(TOKEN);
      const described = await alice.get(`/api/instances/${instanceId}`).expect(200);
      expect(JSON.stringify(described.body)).not.toContain(TOKEN);
      expect(described.body.config).toMatchObject({
        accountName: 'relaybot',
        intents: 33281,
        interactionsUrl: expect.stringMatching(new RegExp(`/webhooks/discord/${instanceId}$`)),
      });
      const dup = await alice
        .post('/api/instances')
        .send({ provider: 'discord', name: 'again', config: { botToken: TOKEN, clientId: CLIENT_ID } })
        .expect(409);
      expect(dup.body.code).toBe('bot_already_connected');
    });

    it('capabilities and the providers list', async () => {
      const caps = await alice.get(`/api/instances/${instanceId}/capabilities`).expect(200);
      expect(caps.body).toMatchObject({
        provider: 'discord',
        textMaxLength: 2000,
        mediaUpload: true,
        reactions: true,
        inbound: ['gateway', 'webhook'],
      });
      expect(caps.body.types).toEqual(
        expect.arrayContaining(['text', 'image', 'document', 'location', 'contacts', 'reaction', 'sticker']),
      );
      const providers = await alice.get('/api/providers').expect(200);
      const described = (providers.body.providers ?? providers.body).find(
        (p: { provider: string }) => p.provider === 'discord',
      );
      expect(described.configSchema.required).toEqual(expect.arrayContaining(['botToken', 'clientId']));
      expect(described.configSchema.properties.botToken).toMatchObject({
        writeOnly: true,
        format: 'password',
      });
      expect(described.configSchema.properties.intents.oneOf).toHaveLength(2);
      const active = await alice.get('/api/v1/multi-provider/active-providers').expect(200);
      expect(active.body.providers).toContain('discord');
    });
  });

  describe("the seeds' multi-provider routes", () => {
    it('create with provider discord, send-message, stats and active providers list it', async () => {
      discord.addBot(TOKEN_D, { id: '1300000000000000444', username: 'seedbot' });
      const created = await alice
        .post('/api/v1/multi-provider/instances')
        .send({
          provider: 'discord',
          config: { botToken: TOKEN_D, clientId: '1300000000000000444', intents: [1, 512, 32768] },
        })
        .expect(201);
      expect(created.body).toEqual({
        instanceId: expect.any(String),
        provider: 'discord',
        status: 'created',
      });
      const id = created.body.instanceId;
      const res = await alice
        .post(`/api/v1/multi-provider/instances/discord/${id}/send-message`)
        .send({ to: CHANNEL, message: 'Hello World!' })
        .expect(200);
      expect(res.body).toEqual({
        success: true,
        messageId: expect.any(String),
        providerMessageId: expect.stringMatching(new RegExp(`^${CHANNEL}:\\d+$`)),
      });
      const call = lastPost();
      expect(call.token).toBe(TOKEN_D);
      expect(call.body).toMatchObject({ content: 'Hello World!' });
      const stats = await alice.get('/api/v1/multi-provider/stats').expect(200);
      expect(stats.body.stats.Discord).toEqual({
        count: 2,
        instances: expect.arrayContaining([id, instanceId]),
      });
      await alice.del(`/api/instances/${id}`).expect(200);
    });
  });

  describe('outbound', () => {
    it('text: POST /channels/:id/messages with content, no @everyone pings', async () => {
      const res = await send({ to: CHANNEL, type: 'text', text: 'hello Discord' }).expect(201);
      const call = lastPost();
      expect(call.path).toBe(`/channels/${CHANNEL}/messages`);
      expect(call.headers['content-type']).toMatch(/^application\/json/);
      expect(call.body).toEqual({ content: 'hello Discord', allowed_mentions: { parse: ['users'] } });
      expect(res.body).toMatchObject({
        status: 'sent',
        providerMessageId: expect.stringMatching(new RegExp(`^${CHANNEL}:\\d+$`)),
      });
      const [msg] = await rows('SELECT status, provider_message_id FROM messages WHERE id = $1', [
        res.body.id,
      ]);
      expect(msg).toEqual({ status: 'sent', provider_message_id: res.body.providerMessageId });
    });

    it('text longer than 2000 characters → 422 naming the limit, nothing sent', async () => {
      const calls = discord.requests.length;
      const res = await send({ to: CHANNEL, type: 'text', text: 'x'.repeat(2001) }).expect(422);
      expect(res.body).toMatchObject({ code: 'text_too_long', provider: 'discord' });
      expect(res.body.detail).toMatch(/2000/);
      expect(discord.requests.length).toBe(calls);
    });

    it('reply: message_reference from our id or channel:id', async () => {
      const first = await send({ to: CHANNEL, type: 'text', text: 'parent' }).expect(201);
      await send({ to: CHANNEL, type: 'text', text: 'child', replyTo: first.body.id }).expect(201);
      const [, parentMessageId] = first.body.providerMessageId.split(':');
      expect(lastPost().body).toMatchObject({
        content: 'child',
        message_reference: { message_id: parentMessageId, channel_id: CHANNEL, fail_if_not_exists: false },
      });
    });

    it('image and document by URL → embeds; previewUrl false suppresses embeds', async () => {
      await send({
        to: CHANNEL,
        type: 'image',
        media: { url: 'https://example.com/cat.png' },
        caption: 'a cat',
      }).expect(201);
      expect(lastPost().body!.embeds).toEqual([
        { image: { url: 'https://example.com/cat.png' }, description: 'a cat' },
      ]);
      await send({
        to: CHANNEL,
        type: 'document',
        media: { url: 'https://example.com/files/invoice.pdf' },
        filename: 'invoice.pdf',
      }).expect(201);
      expect(lastPost().body!.embeds).toEqual([
        { title: 'invoice.pdf', url: 'https://example.com/files/invoice.pdf' },
      ]);
      await send({ to: CHANNEL, type: 'text', text: 'https://example.com', previewUrl: false }).expect(201);
      expect(lastPost().body!.flags).toBe(4);
    });

    it('upload: multipart payload_json + files[0] with the bytes', async () => {
      const res = await alice
        .post(`/api/instances/${instanceId}/messages/upload`)
        .field('to', CHANNEL)
        .field('type', 'document')
        .field('caption', 'the report')
        .attach('file', Buffer.from('%PDF-1.4 fake'), {
          filename: 'report.pdf',
          contentType: 'application/pdf',
        })
        .expect(201);
      const call = lastPost();
      expect(call.headers['content-type']).toMatch(/^multipart\/form-data/);
      expect(call.body).toEqual({
        content: 'the report',
        attachments: [{ id: 0, filename: 'report.pdf' }],
        allowed_mentions: { parse: ['users'] },
      });
      expect(call.files).toHaveLength(1);
      expect(call.files[0]).toMatchObject({
        name: 'files[0]',
        filename: 'report.pdf',
        contentType: 'application/pdf',
      });
      expect(call.files[0].data.toString()).toBe('%PDF-1.4 fake');
      expect(res.body.status).toBe('sent');
    });

    it('location and contacts go out as text; stickers by id', async () => {
      await send({
        to: CHANNEL,
        type: 'location',
        latitude: 52.52,
        longitude: 13.405,
        name: 'Berlin',
      }).expect(201);
      expect(lastPost().body!.content).toBe(
        '📍 Berlin\nhttps://www.openstreetmap.org/?mlat=52.52&mlon=13.405#map=17/52.52/13.405',
      );
      await send({ to: CHANNEL, type: 'contacts', contacts: [{ name: 'Ann', phone: '+4930123' }] }).expect(
        201,
      );
      expect(lastPost().body!.content).toBe('👤 Ann\n📞 +4930123');
      await send({
        to: CHANNEL,
        type: 'contacts',
        contacts: [
          {
            name: 'Dr. Ann Lee',
            phones: [
              { phone: '+1 650 555 1234', type: 'CELL' },
              { phone: '+1 650 555 9999', type: 'WORK' },
            ],
            emails: [{ email: 'ann@example.com', type: 'WORK' }],
            org: { company: 'Acme', title: 'CTO' },
            urls: [{ url: 'https://acme.example' }],
          },
          { name: 'Bob', phone: '+4930999' },
        ],
      }).expect(201);
      expect(lastPost().body!.content).toBe(
        '👤 Dr. Ann Lee\n📞 +1 650 555 1234 (cell)\n📞 +1 650 555 9999 (work)\n✉️ ann@example.com (work)\n' +
          '🏢 Acme, CTO\n🔗 https://acme.example\n\n👤 Bob\n📞 +4930999',
      );
      await send({ to: CHANNEL, type: 'sticker', media: { providerMediaId: '749054660769218631' } }).expect(
        201,
      );
      expect(lastPost().body!.sticker_ids).toEqual(['749054660769218631']);
    });

    it('reaction: PUT …/reactions/<url-encoded emoji>/@me', async () => {
      const target = await send({ to: CHANNEL, type: 'text', text: 'react to me' }).expect(201);
      await send({ to: CHANNEL, type: 'reaction', messageId: target.body.id, emoji: '👍' }).expect(201);
      const [, mid] = target.body.providerMessageId.split(':');
      const put = discord.calls('PUT', /reactions/).at(-1)!;
      expect(put.path).toBe(`/channels/${CHANNEL}/messages/${mid}/reactions/%F0%9F%91%8D/@me`);
      const bad = await send({ to: CHANNEL, type: 'reaction', messageId: 'nope', emoji: '👍' }).expect(400);
      expect(bad.body.errors[0].field).toBe('messageId');
    });

    it('typing: POST /channels/:id/typing', async () => {
      await alice.post(`/api/instances/${instanceId}/chats/${CHANNEL}/typing`).send({}).expect(200);
      expect(discord.calls('POST', `/channels/${CHANNEL}/typing`)).toHaveLength(1);
    });

    it('a user id reaches the user by DM (POST /users/@me/channels), explicitly or after 10003', async () => {
      await send({ to: `user:${USER}`, type: 'text', text: 'dm 1' }).expect(201);
      const open = discord.calls('POST', '/users/@me/channels').at(-1)!;
      expect(open.body).toEqual({ recipient_id: USER });
      const dm = lastPost();
      expect(dm.body!.content).toBe('dm 1');
      const dmChannel = dm.path.split('/')[2];
      expect(dmChannel).not.toBe(USER);
      const other = '1300000000000000055';
      discord.failNext('POST', `/channels/${other}/messages`, {
        status: 404,
        body: { message: 'Unknown Channel', code: 10003 },
      });
      const res = await send({ to: other, type: 'text', text: 'dm 2' }).expect(201);
      expect(discord.calls('POST', '/users/@me/channels').at(-1)!.body).toEqual({ recipient_id: other });
      expect(res.body.providerMessageId).toMatch(/^\d+:\d+$/);
      expect(res.body.providerMessageId.startsWith(`${other}:`)).toBe(false);
    });
  });

  describe('errors', () => {
    const fail = (status: number, body: Record<string, unknown>, headers?: Record<string, string>) =>
      discord.failNext('POST', `/channels/${CHANNEL}/messages`, { status, body, headers });

    it('50007 → 422 recipient_unreachable with the provider code; the message is stored failed', async () => {
      fail(403, { message: 'Cannot send messages to this user', code: 50007 });
      const res = await send({ to: CHANNEL, type: 'text', text: 'x' }).expect(422);
      expect(res.body).toMatchObject({
        code: 'recipient_unreachable',
        provider: 'discord',
        providerCode: 50007,
      });
      const [m] = await rows(
        `SELECT status FROM messages WHERE instance_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [instanceId],
      );
      expect(m.status).toBe('failed');
    });

    it('50013 → 422 provider_permission_denied naming the permissions', async () => {
      fail(403, { message: 'Missing Permissions', code: 50013 });
      const res = await send({ to: CHANNEL, type: 'text', text: 'x' }).expect(422);
      expect(res.body).toMatchObject({ code: 'provider_permission_denied', providerCode: 50013 });
      expect(res.body.detail).toMatch(/Send Messages/);
    });

    it('10003 → 400 chat_not_found when no user has that id either', async () => {
      fail(404, { message: 'Unknown Channel', code: 10003 });
      discord.failNext('POST', '/users/@me/channels', {
        status: 400,
        body: { message: 'Invalid Recipient(s)', code: 50033 },
      });
      const res = await send({ to: CHANNEL, type: 'text', text: 'x' }).expect(400);
      expect(res.body).toMatchObject({
        code: 'chat_not_found',
        providerCode: 10003,
        errors: [{ field: 'to' }],
      });
    });

    it('50035 → 400 naming the field Discord named', async () => {
      fail(400, {
        code: 50035,
        message: 'Invalid Form Body',
        errors: {
          content: {
            _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
          },
        },
      });
      const res = await send({ to: CHANNEL, type: 'text', text: 'x' }).expect(400);
      expect(res.body).toMatchObject({
        code: 'provider_bad_request',
        providerCode: 50035,
        errors: [{ field: 'content', message: 'Must be 2000 or fewer in length.' }],
      });
    });

    it('429 → our 429 with Retry-After at once (rejectOnRateLimit), one request only', async () => {
      const limited = '1312345678900000429';
      const route = `/channels/${limited}/messages`;
      const limit = rateLimited(7);
      discord.failNext('POST', route, limit);
      const started = Date.now();
      const res = await send({ to: limited, type: 'text', text: 'x' }).expect(429);
      expect(Date.now() - started).toBeLessThan(5000); // the library would have slept 7 s and retried
      expect(res.headers['retry-after']).toBe('8'); // 7 s + the library's 50 ms offset, rounded up
      expect(res.body).toMatchObject({ code: 'provider_rate_limited', provider: 'discord', retryAfter: 8 });
      expect(discord.calls('POST', route)).toHaveLength(1);
      // within the window the client refuses by itself: still our 429, Discord is not asked again
      const again = await send({ to: limited, type: 'text', text: 'y' }).expect(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
      expect(discord.calls('POST', route)).toHaveLength(1);
    });

    it('401 → 502 provider_unauthorized and the instance needs_reauth', async () => {
      fail(401, { message: '401: Unauthorized', code: 0 });
      const res = await send({ to: CHANNEL, type: 'text', text: 'x' }).expect(502);
      expect(res.body).toMatchObject({ code: 'provider_unauthorized', provider: 'discord' });
      const status = await alice.get(`/api/instances/${instanceId}/status`).expect(200);
      expect(status.body.status).toBe('needs_reauth');
      // the runtime stops the Gateway of an instance that needs new credentials
      await eventually(
        async () => discord.live().every((c) => c.session!.token !== TOKEN),
        10_000,
        'gateway stopped',
      );
      await alice
        .post(`/api/instances/${instanceId}/reconnect`)
        .expect((r) => expect(r.status).toBeLessThan(300));
      // @discordjs/rest dropped the token on the 401: the next call works again once Discord accepts it
      await send({ to: CHANNEL, type: 'text', text: 'after the 401' }).expect(201);
    });
  });

  describe('Gateway (through the connection runtime)', () => {
    const liveOf = (token: string) => discord.live().filter((c) => c.session!.token === token);
    const connectionsOf = (token: string) =>
      discord.connections.filter((c) =>
        c.received.some((f) => (f.d as { token?: string } | null)?.token === token),
      );
    const statusOf = async (id: string) =>
      (await alice.get(`/api/instances/${id}/status`).expect(200)).body as {
        status: string;
        reason: string | null;
      };
    const archived = (id: string, eventId: string) =>
      rows(
        `SELECT outcome, skip_reason FROM inbound_events WHERE instance_id = $1 AND provider_event_id = $2`,
        [id, eventId],
      );
    const createBot = async (token: string, botId: string, intents: unknown) => {
      discord.addBot(token, { id: botId, username: `bot${botId.slice(-3)}` });
      const res = await alice
        .post('/api/instances')
        .send({
          provider: 'discord',
          name: `bot ${botId}`,
          config: { botToken: token, clientId: botId, intents },
          webhookUrl: receiver.url('/discord'),
        })
        .expect(201);
      return res.body.id as string;
    };

    it('IDENTIFY with the configured intents, READY → connected, messages stored once', async () => {
      await eventually(async () => (await statusOf(instanceId)).status === 'connected', 20_000, 'connected');
      const [conn] = liveOf(TOKEN);
      const identify = connectionsOf(TOKEN)
        .flatMap((c) => c.received)
        .find((f) => f.op === 2)!.d;
      expect(identify).toMatchObject({ token: TOKEN, intents: 1 | 512 | 32768, shard: [0, 1] });
      expect(conn).toBeDefined();
      const connectedHook = await receiver.waitFor(
        (r) =>
          (r.json as { event?: string; instanceId?: string })?.event === 'connected' &&
          (r.json as { instanceId?: string }).instanceId === instanceId,
        20_000,
      );
      expect((connectedHook.json as { data: unknown }).data).toMatchObject({
        botUserId: bot.id,
        botUsername: 'relaybot',
      });

      const create = fixture('constructed/MessageCreate.Attachment.json').d;
      discord.addMessage({
        ...create,
        attachments: [
          {
            ...create.attachments[0],
            url: discord.addFile('invoice.pdf', Buffer.from('%PDF-'), 'application/pdf'),
          },
        ],
      });
      expect(discord.dispatch(TOKEN, 'MESSAGE_CREATE', create)).toBe(1);
      discord.dispatch(TOKEN, 'MESSAGE_CREATE', create); // Discord may send an event twice
      const hook = await receiver.waitFor(
        (r) =>
          (r.json as { data?: { providerMessageId?: string } })?.data?.providerMessageId ===
          `${CHANNEL}:${create.id}`,
      );
      expect(hook.json).toMatchObject({
        event: 'message_received',
        data: {
          type: 'document',
          text: 'the invoice',
          chat: { id: CHANNEL, type: 'group' },
          from: { name: 'Ali' },
        },
      });
      await new Promise((r) => setTimeout(r, 300));
      const stored = await rows(
        `SELECT m.id, m.type, m.text, c.provider_chat_id FROM messages m JOIN chats c ON c.id = m.chat_id
          WHERE m.provider_message_id = $1`,
        [`${CHANNEL}:${create.id}`],
      );
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ type: 'document', text: 'the invoice', provider_chat_id: CHANNEL });
      expect(await archived(instanceId, `MESSAGE_CREATE:${CHANNEL}:${create.id}`)).toEqual([
        { outcome: 'stored', skip_reason: null },
      ]);

      // media downloaded on demand through GET /channels/:c/messages/:m
      const media = await alice
        .get(`/api/instances/${instanceId}/messages/${stored[0].id}/media`)
        .expect(200);
      expect(media.headers['content-type']).toBe('application/pdf');
      expect(Buffer.from(media.body).toString()).toBe('%PDF-');

      // without an Interactions Endpoint URL, commands come over the Gateway: stored, then deferred
      const command = {
        ...fixture('discord4j/gateway/InteractionCreate.json').d,
        id: '1312345678966666666',
        channel_id: CHANNEL,
      };
      discord.dispatch(TOKEN, 'INTERACTION_CREATE', command);
      await eventually(
        async () => discord.calls('POST', `/interactions/${command.id}/hunter2/callback`).length > 0,
      );
      expect(discord.calls('POST', `/interactions/${command.id}/hunter2/callback`)[0].body).toEqual({
        type: 5,
      });
      expect(await archived(instanceId, `INTERACTION_CREATE:${command.id}`)).toEqual([
        { outcome: 'stored', skip_reason: null },
      ]);

      // our own bot's message is a named skip
      const own = { ...create, id: '1312345678901239999', author: { ...create.author, id: bot.id } };
      discord.dispatch(TOKEN, 'MESSAGE_CREATE', own);
      await eventually(
        async () => (await archived(instanceId, `MESSAGE_CREATE:${CHANNEL}:${own.id}`)).length === 1,
      );
      expect(await archived(instanceId, `MESSAGE_CREATE:${CHANNEL}:${own.id}`)).toEqual([
        { outcome: 'skipped', skip_reason: 'own_message' },
      ]);

      // the sandbox hook (npm run sandbox) dispatches through the same session
      const hookRes = await fetch(`http://127.0.0.1:${discord.port}/sandbox/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'from the sandbox', channelId: CHANNEL }),
      });
      const sandboxed = (await hookRes.json()) as { dispatchedTo: number; message: { id: string } };
      expect(sandboxed.dispatchedTo).toBe(1);
      await receiver.waitFor(
        (r) =>
          (r.json as { data?: { providerMessageId?: string } })?.data?.providerMessageId ===
          `${CHANNEL}:${sandboxed.message.id}`,
      );
    });

    it('RESUMEs its own session after close 4000 and after op 7, replaying missed events', async () => {
      await eventually(async () => liveOf(TOKEN).length === 1);
      const session = liveOf(TOKEN)[0].session!.id;
      const before = discord.connections.length;
      discord.closeAll(4000, 'Unknown error');
      const dm = fixture('constructed/MessageCreate.DM.json').d;
      discord.dispatch(TOKEN, 'MESSAGE_CREATE', dm); // missed while down: replayed on RESUME
      const resumed = await eventually(
        async () => discord.connections.slice(before).find((c) => c.received.some((f) => f.op === 6)),
        15_000,
        'RESUME after 4000',
      );
      expect(resumed.received.find((f) => f.op === 6)!.d).toMatchObject({
        token: TOKEN,
        session_id: session,
      });
      expect(resumed.received.some((f) => f.op === 2)).toBe(false);
      await eventually(
        async () => (await archived(instanceId, `MESSAGE_CREATE:${dm.channel_id}:${dm.id}`)).length === 1,
      );

      const again = discord.connections.length;
      discord.requestReconnect();
      const afterOp7 = await eventually(
        async () => discord.connections.slice(again).find((c) => c.received.some((f) => f.op === 6)),
        15_000,
        'RESUME after op 7',
      );
      expect(afterOp7.received.find((f) => f.op === 6)!.d).toMatchObject({ session_id: session });
      await eventually(async () => liveOf(TOKEN).length === 1);
      const [count] = await rows(`SELECT count(*)::int AS n FROM messages WHERE provider_message_id = $1`, [
        `${dm.channel_id}:${dm.id}`,
      ]);
      expect(count.n).toBe(1);
      // the status follows RESUMED through the runtime's report queue: stored shortly after
      await eventually(async () => (await statusOf(instanceId)).status === 'connected');
    });

    it('a second bot in the same process identifies with its own token and intents (no shared session store)', async () => {
      const second = await createBot(TOKEN_B, '1300000000000000888', [1, 512]);
      await eventually(async () => liveOf(TOKEN_B).length === 1, 20_000, 'second bot connected');
      const [first] = connectionsOf(TOKEN_B);
      expect(first.received.find((f) => f.op === 2)!.d).toMatchObject({ token: TOKEN_B, intents: 513 });
      expect(first.received.some((f) => f.op === 6)).toBe(false);
      expect(liveOf(TOKEN)).toHaveLength(1);

      // without MESSAGE_CONTENT an empty guild message is not stored, and the status reason says why
      await eventually(async () => (await statusOf(second)).status === 'connected');
      const msg = fixture('discord4j/gateway/MessageCreate.Type0.json').d;
      discord.dispatch(TOKEN_B, 'MESSAGE_CREATE', msg);
      const eventId = `MESSAGE_CREATE:${msg.channel_id}:${msg.id}`;
      await eventually(async () => (await archived(second, eventId)).length === 1);
      expect(await archived(second, eventId)).toEqual([
        { outcome: 'skipped', skip_reason: 'message_content_intent_missing' },
      ]);
      expect((await statusOf(second)).reason).toMatch(/Message Content Intent/);
      await alice.del(`/api/instances/${second}`).expect(200);
      await eventually(async () => liveOf(TOKEN_B).length === 0, 10_000, 'deleted instance disconnected');
    });

    it('close 4014 → disconnected with a reason naming the privileged intents, no reconnect storm', async () => {
      discord.disallowedIntents = INTENTS.MESSAGE_CONTENT;
      try {
        const id = await createBot(TOKEN_E, '1300000000000000555', [1, 512, 32768]);
        await eventually(async () => (await statusOf(id)).status === 'disconnected', 20_000, 'disconnected');
        const s = await statusOf(id);
        expect(s.reason).toMatch(/4014/);
        expect(s.reason).toMatch(/Message Content Intent \(MESSAGE_CONTENT\)/);
        expect(s.reason).toMatch(/Developer Portal/);
        await new Promise((r) => setTimeout(r, 3000));
        expect(connectionsOf(TOKEN_E)).toHaveLength(1);
        expect(await adapter.connectionTargets()).not.toContain(id);
        const hook = await receiver.waitFor(
          (r) =>
            (r.json as { event?: string; instanceId?: string })?.event === 'disconnected' &&
            (r.json as { instanceId?: string }).instanceId === id,
        );
        expect((hook.json as { data: unknown }).data).toMatchObject({
          status: 'disconnected',
          willReconnect: false,
        });
        await alice.del(`/api/instances/${id}`).expect(200);
      } finally {
        discord.disallowedIntents = 0;
      }
    });

    it('close 4004 → needs_reauth, no reconnect; reconnect after a new token works again', async () => {
      await eventually(async () => liveOf(TOKEN).length === 1);
      const before = connectionsOf(TOKEN).length;
      discord.revokedTokens.add(TOKEN);
      discord.closeAll(4004, 'Authentication failed.');
      await eventually(
        async () => (await statusOf(instanceId)).status === 'needs_reauth',
        15_000,
        'needs_reauth',
      );
      expect((await statusOf(instanceId)).reason).toMatch(/4004/);
      await new Promise((r) => setTimeout(r, 3000));
      expect(connectionsOf(TOKEN).length).toBe(before);
      expect(liveOf(TOKEN)).toHaveLength(0);
      discord.revokedTokens.delete(TOKEN);
      await alice
        .post(`/api/instances/${instanceId}/reconnect`)
        .expect((r) => expect(r.status).toBeLessThan(300));
      await eventually(
        async () => (await statusOf(instanceId)).status === 'connected',
        20_000,
        'connected again',
      );
      const latest = connectionsOf(TOKEN).at(-1)!;
      expect(latest.received.find((f) => f.op === 2)).toBeDefined(); // a fresh IDENTIFY: the session was dropped
    });
  });

  describe('Interactions endpoint POST /webhooks/discord/:instanceId', () => {
    const ping =
      '{"id":"787053080478613555","token":"ThisIsATokenFromDiscordThatIsVeryLong","type":1,"version":1,"application_id":"123456789012345678"}';
    const post = (body: string, headers: Record<string, string>, id = instanceId) =>
      t
        .http()
        .post(`/webhooks/discord/${id}`)
        .set('content-type', 'application/json')
        .set(headers)
        .send(body);

    it('PING → {"type":1} (the PROVIDERS.md §8 #4 vector verifies)', async () => {
      const headers = FakeDiscord.signInteraction(ping, '1700000000');
      expect(headers['x-signature-ed25519']).toBe(
        '34437af722eb223ff02678feab4590476307d2d102d8cdd6b7e6063c0de9b07a226307a9d0c67ab0d4e71dff07cb4db2bb666fb68426a726778365a26ab3180f',
      );
      const res = await post(ping, headers).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ type: 1 });
    });

    it('a bad signature, a changed body or a missing header → 401, nothing stored', async () => {
      const headers = FakeDiscord.signInteraction(ping, '1700000000');
      const before = await rows('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [
        instanceId,
      ]);
      for (const [body, h] of [
        [`${ping} `, headers],
        [ping, { ...headers, 'x-signature-timestamp': '1700000001' }],
        [ping, { 'x-signature-timestamp': '1700000000' }],
        [ping, { ...headers, 'x-signature-ed25519': 'zz' }],
      ] as [string, Record<string, string>][]) {
        const res = await post(body, h).expect(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      await post(ping, headers, '00000000-0000-4000-8000-000000000000').expect(401);
      await post(ping, headers, 'not-a-uuid').expect(401);
      expect(
        await rows('SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1', [instanceId]),
      ).toEqual(before);
    });

    it('an application command → stored as an interactive message, answered with a deferred response (type 5)', async () => {
      const command = JSON.stringify({
        ...fixture('discord4j/gateway/InteractionCreate.json').d,
        id: '1312345678955555555',
        channel_id: CHANNEL,
      });
      const res = await post(command, FakeDiscord.signInteraction(command)).expect(200);
      expect(res.body).toEqual({ type: 5 });
      const [m] = await rows(`SELECT type, text, direction FROM messages WHERE provider_message_id = $1`, [
        'interaction:1312345678955555555',
      ]);
      expect(m).toMatchObject({ type: 'interactive', direction: 'in' });
      const hook = await receiver.waitFor(
        (r) =>
          (r.json as { data?: { providerMessageId?: string } })?.data?.providerMessageId ===
          'interaction:1312345678955555555',
      );
      expect(hook.json).toMatchObject({
        event: 'message_received',
        data: { type: 'interactive', interactive: { type: 'application_command' } },
      });
      // Discord retries: the same interaction is acknowledged and stored once
      await post(command, FakeDiscord.signInteraction(command)).expect(200);
      const [count] = await rows(`SELECT count(*)::int AS n FROM messages WHERE provider_message_id = $1`, [
        'interaction:1312345678955555555',
      ]);
      expect(count.n).toBe(1);
      // the follow-up goes out with the interaction token through the raw route
      const followUp = await alice
        .post(`/api/instances/${instanceId}/provider/raw`)
        .send({ method: 'POST', path: `/webhooks/${CLIENT_ID}/hunter2`, body: { content: 'done' } })
        .expect(200);
      expect(followUp.body).toMatchObject({ content: 'done', webhook_id: CLIENT_ID });
      expect(discord.calls('POST', `/webhooks/${CLIENT_ID}/hunter2`).at(-1)!.body).toEqual({
        content: 'done',
      });
      const bad = await alice
        .post(`/api/instances/${instanceId}/provider/raw`)
        .send({ method: 'GET', path: '/channels/../../etc' })
        .expect(400);
      expect(bad.body.errors[0].field).toBe('path');
    });
  });
});
