import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { RecordedRequest, WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const FIXTURES = join(__dirname, '../fixtures/telegram');
const BOT = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * Telegram in webhook mode (PUBLIC_BASE_URL set): instance lifecycle, every outbound type
 * against the fake Bot API, every fixture through the inbound webhook, signed client webhooks.
 */
describe('Telegram end to end, webhook mode (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let instanceId: string;

  const createInstance = (tenant: TestTenant, body: Record<string, unknown> = {}) =>
    tenant.post('/api/instances').send({
      provider: 'telegram',
      name: 'Support bot',
      config: { botToken: BOT },
      webhookUrl: receiver.url('/hook'),
      webhookSecret: SECRET,
      maxRetries: 3,
      retryInterval: 100,
      headers: { 'X-Tenant': 'alice' },
      ...body,
    });

  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'support_bot' });
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

  describe('instances', () => {
    it('rejects a token Telegram refuses with a 4xx and stores nothing', async () => {
      const before = await rows('SELECT count(*)::int AS n FROM instances');
      const configsBefore = await rows('SELECT count(*)::int AS n FROM telegram_instances');
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'bad', config: { botToken: '999:not-a-real-token' } })
        .expect(422);
      expect(res.body).toMatchObject({ code: 'invalid_bot_token', provider: 'telegram', providerCode: 401 });
      expect(res.body.detail).toMatch(/rejected the bot token/);
      expect(await rows('SELECT count(*)::int AS n FROM instances')).toEqual(before);
      expect(await rows('SELECT count(*)::int AS n FROM telegram_instances')).toEqual(configsBefore);
      expect(tg.lastCall('getMe')?.token).toBe('999:not-a-real-token');
    });

    it('validates the provider config and names the field', async () => {
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'x', config: { botToken: 'nope' } })
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'config.botToken' })]);
      const unknown = await alice
        .post('/api/instances')
        .send({ provider: 'icq', name: 'x', config: {} })
        .expect(400);
      expect(unknown.body.errors[0].field).toBe('provider');
    });

    it('creates an instance: getMe, setWebhook with a secret token, secrets encrypted and masked', async () => {
      const res = await createInstance(alice).expect(201);
      instanceId = res.body.id;
      expect(res.body).toMatchObject({
        provider: 'telegram',
        name: 'Support bot',
        status: 'connected',
        webhookUrl: receiver.url('/hook'),
        webhookEnabled: true,
        webhookSettings: {
          maxRetries: 3,
          retryInterval: 100,
          headers: { 'X-Tenant': 'alice' },
          notifyReceived: true,
          notifySent: true,
        },
        connectionStatus: { ready: true, status: 'connected', hasQr: false },
      });
      expect(res.body.webhookSettings.secret).not.toContain(SECRET.slice(6, 20));
      expect(res.body).not.toHaveProperty('webhookSecret');

      const hook = tg.lastCall('setWebhook')!;
      expect(hook.params.url).toBe(`${t.baseUrl}/webhooks/telegram/${instanceId}`);
      expect(String(hook.params.secret_token)).toMatch(/^[A-Za-z0-9_-]{20,256}$/);
      expect(hook.params.allowed_updates).toEqual(expect.arrayContaining(['message', 'edited_message']));

      const [row] = await rows('SELECT * FROM telegram_instances WHERE instance_id = $1', [instanceId]);
      expect(row).toMatchObject({ bot_id: '110201543', bot_username: 'support_bot', mode: 'webhook' });
      expect(row.bot_token_enc).toMatch(/^v1\./);
      expect(row.bot_token_enc).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
      const [inst] = await rows('SELECT webhook_secret_enc FROM instances WHERE id = $1', [instanceId]);
      expect(inst.webhook_secret_enc).not.toContain(SECRET);

      const one = await alice.get(`/api/instances/${instanceId}`).expect(200);
      expect(one.body.config).toMatchObject({ botUsername: 'support_bot', mode: 'webhook' });
      expect(one.body.config.botToken).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
      expect(JSON.stringify(one.body)).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');

      const connected = await receiver.waitFor(
        (r) => (r.json as { event?: string } | undefined)?.event === 'connected',
      );
      expect((connected.json as { instanceId: string }).instanceId).toBe(instanceId);
      expect(connected.headers['x-tenant']).toBe('alice');
    });

    it('refuses the same bot on a second instance (409) and keeps nothing', async () => {
      const res = await createInstance(alice, { name: 'dup' }).expect(409);
      expect(res.body.code).toBe('bot_already_connected');
      expect((await rows("SELECT count(*)::int AS n FROM instances WHERE name = 'dup'"))[0].n).toBe(0);
    });

    it('hides one tenant’s instance, messages and contacts from another (404)', async () => {
      const bob = await createTenant(t);
      for (const path of [
        `/api/instances/${instanceId}`,
        `/api/instances/${instanceId}/status`,
        `/api/instances/${instanceId}/chats`,
        `/api/instances/${instanceId}/contacts`,
        `/api/instances/${instanceId}/contacts/db`,
        `/api/instances/${instanceId}/events`,
        `/api/instances/${instanceId}/activity`,
      ]) {
        const res = await bob.get(path).expect(404);
        expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
      }
      await bob
        .post(`/api/instances/${instanceId}/messages`)
        .send({ to: '1', type: 'text', text: 'hi' })
        .expect(404);
      await bob.del(`/api/instances/${instanceId}`).expect(404);
      const list = await bob.get('/api/instances').expect(200);
      expect(list.body.instances).toEqual([]);
      // admins may see everything
      await t
        .http()
        .get(`/api/instances/${instanceId}`)
        .set('authorization', `Bearer ${t.adminToken}`)
        .expect(200);
    });

    it('answers status, capabilities, activity and a clear QR error', async () => {
      const status = await alice.get(`/api/instances/${instanceId}/status`).expect(200);
      expect(status.body).toMatchObject({ instanceId, status: 'connected', ready: true, hasQr: false });
      const caps = await alice.get(`/api/instances/${instanceId}/capabilities`).expect(200);
      expect(caps.body).toMatchObject({
        provider: 'telegram',
        textMaxLength: 4096,
        qrLogin: false,
        reactions: true,
      });
      expect(caps.body.types).toEqual(
        expect.arrayContaining(['text', 'image', 'voice', 'location', 'contacts', 'reaction']),
      );
      const qr = await alice.get(`/api/instances/${instanceId}/qr`).expect(422);
      expect(qr.body).toMatchObject({ code: 'qr_not_supported', provider: 'telegram' });
      const activity = await alice
        .get(`/api/instances/${instanceId}/activity?actions=created,connected`)
        .expect(200);
      expect(activity.body.logs.map((l: { action: string }) => l.action).sort()).toEqual([
        'connected',
        'created',
      ]);
      expect(activity.body.pagination).toMatchObject({ total: 2, skip: 0, hasMore: false });
    });
  });

  describe('outbound', () => {
    const send = (body: Record<string, unknown>, key?: string) => {
      const req = alice.post(`/api/instances/${instanceId}/messages`);
      if (key) req.set('Idempotency-Key', key);
      return req.send(body);
    };

    it.each([
      [
        'text',
        { type: 'text', text: 'Hello', previewUrl: false },
        'sendMessage',
        { chat_id: 4242, text: 'Hello', link_preview_options: { is_disabled: true } },
      ],
      [
        'image by URL',
        { type: 'image', media: { url: 'https://example.com/a.jpg' }, caption: 'pic' },
        'sendPhoto',
        { photo: 'https://example.com/a.jpg', caption: 'pic' },
      ],
      [
        'video by file_id',
        { type: 'video', media: { providerMediaId: 'BAACAgQAAx' } },
        'sendVideo',
        { video: 'BAACAgQAAx' },
      ],
      [
        'audio',
        { type: 'audio', media: { url: 'https://example.com/a.mp3' } },
        'sendAudio',
        { audio: 'https://example.com/a.mp3' },
      ],
      [
        'voice',
        { type: 'voice', media: { providerMediaId: 'AwACAgIAAx' } },
        'sendVoice',
        { voice: 'AwACAgIAAx' },
      ],
      [
        'document',
        { type: 'document', media: { url: 'https://example.com/a.pdf' }, caption: 'doc' },
        'sendDocument',
        { document: 'https://example.com/a.pdf', caption: 'doc' },
      ],
      [
        'sticker',
        { type: 'sticker', media: { providerMediaId: 'CAACAgIAAx' } },
        'sendSticker',
        { sticker: 'CAACAgIAAx' },
      ],
      [
        'location',
        { type: 'location', latitude: 51.5, longitude: -0.12 },
        'sendLocation',
        { latitude: 51.5, longitude: -0.12 },
      ],
      [
        'contact',
        {
          type: 'contacts',
          contacts: [{ name: 'Ann Lee', firstName: 'Ann', lastName: 'Lee', phone: '+15550001' }],
        },
        'sendContact',
        { phone_number: '+15550001', first_name: 'Ann', last_name: 'Lee' },
      ],
    ])(
      'sends %s with the right method and fields, stores it and emits message_sent',
      async (_label, body, method, params) => {
        const res = await send({ to: '4242', ...body }).expect(201);
        const call = tg.lastCall(method)!;
        expect(call.token).toBe(BOT);
        expect(call.params).toMatchObject({ chat_id: 4242, ...params });
        expect(res.body).toMatchObject({
          direction: 'out',
          status: 'sent',
          type: body.type,
          providerChatId: '4242',
          fromMe: true,
        });
        expect(res.body.providerMessageId).toMatch(/^4242:\d+$/);
        const [row] = await rows('SELECT status, provider_message_id, type FROM messages WHERE id = $1', [
          res.body.id,
        ]);
        expect(row).toEqual({
          status: 'sent',
          provider_message_id: res.body.providerMessageId,
          type: body.type,
        });
        const hook = await receiver.waitFor(
          (r) => (r.json as { data?: { messageId?: string } })?.data?.messageId === res.body.id,
        );
        expect((hook.json as { event: string }).event).toBe('message_sent');
        expect(WebhookReceiver.verifySeedsSignature(hook, SECRET)).toBe(true);
        expect(WebhookReceiver.verifyStandardWebhooks(hook, SECRET)).toMatchObject({
          event: 'message_sent',
          instanceId,
        });
      },
    );

    it('replies to our message id and reacts to it', async () => {
      const first = await send({ to: '4242', type: 'text', text: 'question' }).expect(201);
      const providerMsgId = Number(first.body.providerMessageId.split(':')[1]);
      await send({ to: '4242', type: 'text', text: 'answer', replyTo: first.body.id }).expect(201);
      expect(tg.lastCall('sendMessage')!.params.reply_parameters).toEqual({ message_id: providerMsgId });
      const reaction = await send({
        to: '4242',
        type: 'reaction',
        messageId: first.body.id,
        emoji: '👍',
      }).expect(201);
      expect(tg.lastCall('setMessageReaction')!.params).toMatchObject({
        chat_id: 4242,
        message_id: providerMsgId,
        reaction: [{ type: 'emoji', emoji: '👍' }],
      });
      expect(reaction.body).toMatchObject({
        type: 'reaction',
        reaction: { emoji: '👍', messageId: first.body.providerMessageId },
      });
    });

    it('returns the first result for a repeated Idempotency-Key without a second provider call', async () => {
      const before = tg.calls('sendMessage').length;
      const a = await send({ to: '4242', type: 'text', text: 'once' }, 'key-123').expect(201);
      const b = await send({ to: '4242', type: 'text', text: 'once' }, 'key-123').expect(201);
      expect(b.body).toEqual(a.body);
      expect(tg.calls('sendMessage').length).toBe(before + 1);
      const reused = await send({ to: '4242', type: 'text', text: 'different' }, 'key-123').expect(422);
      expect(reused.body.code).toBe('idempotency_key_reused');
      expect(
        (await rows("SELECT count(*)::int AS n FROM messages WHERE idempotency_key = 'key-123'"))[0].n,
      ).toBe(1);
    });

    it('says 422 naming the provider for a type it lacks, and enforces limits', async () => {
      const res = await send({
        to: '4242',
        type: 'template',
        template: { name: 'hello', language: 'en' },
      }).expect(422);
      expect(res.body).toMatchObject({ code: 'unsupported_message_type', provider: 'telegram' });
      expect(res.body.detail).toMatch(/telegram does not support message type "template"/);
      const long = await send({ to: '4242', type: 'text', text: 'x'.repeat(4097) }).expect(422);
      expect(long.body.code).toBe('text_too_long');
      const bad = await send({ to: '4242', type: 'image' }).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('media');
    });

    it('maps a Telegram 429 to our 429 with Retry-After and stores the message as failed', async () => {
      tg.failNextWithFloodWait('sendMessage', 35);
      const res = await send({ to: '4242', type: 'text', text: 'too fast' }).expect(429);
      expect(res.headers['retry-after']).toBe('35');
      expect(res.body).toMatchObject({
        code: 'provider_rate_limited',
        provider: 'telegram',
        providerCode: 429,
        retryAfter: 35,
      });
      expect(res.body.providerDescription).toMatch(/Too Many Requests/);
      const [row] = await rows("SELECT status, error FROM messages WHERE text = 'too fast'");
      expect(row.status).toBe('failed');
      expect(row.error).toMatchObject({ code: 'provider_rate_limited', providerCode: 429 });
      const hook = await receiver.waitFor(
        (r) => (r.json as { event?: string; data?: { text?: string } })?.data?.text === 'too fast',
      );
      expect((hook.json as { event: string }).event).toBe('message_failed');
    });

    it('rejects a malformed recipient before writing anything', async () => {
      const before = await rows(
        'SELECT (SELECT count(*) FROM chats)::int AS c, (SELECT count(*) FROM messages)::int AS m',
      );
      const res = await send({ to: 'not-a-chat', type: 'text', text: 'x' }).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
      const badReply = await send({ to: '4242', type: 'text', text: 'x', replyTo: 'abc' }).expect(400);
      expect(badReply.body.errors[0].field).toBe('replyTo');
      expect(
        await rows(
          'SELECT (SELECT count(*) FROM chats)::int AS c, (SELECT count(*) FROM messages)::int AS m',
        ),
      ).toEqual(before);
    });

    it('marks the instance needs_reauth when Telegram stops accepting the token', async () => {
      tg.failNext('sendMessage', { error_code: 401, description: 'Unauthorized' });
      const res = await send({ to: '4242', type: 'text', text: 'token revoked' }).expect(502);
      expect(res.body).toMatchObject({ code: 'provider_unauthorized', providerCode: 401 });
      const status = await alice.get(`/api/instances/${instanceId}/status`).expect(200);
      expect(status.body).toMatchObject({ status: 'needs_reauth', ready: false });
      const hook = await receiver.waitFor(
        (r) => (r.json as { event?: string; data?: { status?: string } })?.data?.status === 'needs_reauth',
      );
      expect((hook.json as { event: string }).event).toBe('disconnected');
      await alice.post(`/api/instances/${instanceId}/reconnect`).expect(200);
      expect((await alice.get(`/api/instances/${instanceId}/status`).expect(200)).body.status).toBe(
        'connected',
      );
    });

    it('says so when the user blocked the bot (4xx with Telegram’s code)', async () => {
      tg.blockedByUser('sendMessage');
      const res = await send({ to: '4242', type: 'text', text: 'blocked?' }).expect(422);
      expect(res.body).toMatchObject({
        code: 'recipient_blocked_bot',
        providerCode: 403,
        provider: 'telegram',
      });
      expect(res.body.detail).toMatch(/blocked the bot/);
    });
  });

  describe('inbound', () => {
    let updateSeq = 900_000;
    let messageSeq = 700_000;

    /** Gives each fixture a unique update_id and message_id so the dedupe keys don't collide across files. */
    const prepare = (raw: Record<string, unknown>) => {
      const bareMessage = 'message_id' in raw && 'chat' in raw;
      const update: Record<string, unknown> = bareMessage ? { message: raw } : { ...raw };
      update.update_id = ++updateSeq;
      for (const kind of [
        'message',
        'edited_message',
        'channel_post',
        'edited_channel_post',
        'business_message',
        'edited_business_message',
      ]) {
        const msg = update[kind] as Record<string, unknown> | undefined;
        if (msg && typeof msg.message_id === 'number') update[kind] = { ...msg, message_id: ++messageSeq };
      }
      return update;
    };

    it('rejects a wrong or missing secret token with 401 and stores nothing', async () => {
      const before = (await rows('SELECT count(*)::int AS n FROM inbound_events'))[0].n;
      const wrong = await tg.sendWebhookUpdate(
        BOT,
        { update_id: 1, message: { message_id: 1, chat: { id: 1, type: 'private' }, date: 1, text: 'x' } },
        { secretToken: 'wrong' },
      );
      expect(wrong.status).toBe(401);
      expect(JSON.parse(wrong.body)).toMatchObject({ code: 'unauthorized' });
      const missing = await tg.sendWebhookUpdate(
        BOT,
        { update_id: 2, message: { message_id: 2, chat: { id: 1, type: 'private' }, date: 1, text: 'x' } },
        { secretToken: null },
      );
      expect(missing.status).toBe(401);
      expect((await rows('SELECT count(*)::int AS n FROM inbound_events'))[0].n).toBe(before);
      expect(
        (await rows('SELECT count(*)::int AS n FROM messages WHERE provider_message_id = $1', ['1:1']))[0].n,
      ).toBe(0);
    });

    it('stores every fixture as a message (or a clear skip) and delivers message_received signed both ways', async () => {
      const files = [
        ...readdirSync(FIXTURES).filter((f) => f.endsWith('.json')),
        ...readdirSync(join(FIXTURES, 'nutgram'))
          .filter((f) => f.endsWith('.json'))
          .map((f) => `nutgram/${f}`),
      ];
      expect(files.length).toBeGreaterThan(110);
      const stored: { file: string; messageId: string }[] = [];
      const skipped: { file: string; reason: string }[] = [];
      for (const file of files) {
        const update = prepare(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
        const res = await tg.sendWebhookUpdate(BOT, update);
        expect([file, res.status]).toEqual([file, 200]);
        const body = JSON.parse(res.body);
        if (body.stored) {
          stored.push({ file, messageId: body.messageId });
          const [row] = await rows('SELECT direction, status, raw FROM messages WHERE id = $1', [
            body.messageId,
          ]);
          expect([file, body, row]).toMatchObject([file, body, { direction: 'in', status: 'received' }]);
          expect(row.raw.update_id).toBe(update.update_id);
        } else {
          expect([file, body.skipReason]).toEqual([
            file,
            expect.stringMatching(/^(unsupported_update|service_message):\w+$/),
          ]);
          const [archived] = await rows(
            "SELECT outcome, skip_reason FROM inbound_events WHERE provider_event_id = $1 AND provider = 'telegram'",
            [String(update.update_id)],
          );
          expect(archived).toEqual({ outcome: 'skipped', skip_reason: body.skipReason });
          skipped.push({ file, reason: body.skipReason });
        }
      }
      expect(stored.length).toBeGreaterThan(40);
      expect(skipped.map((s) => s.file)).toEqual(
        expect.arrayContaining([
          'pre_checkout_query.json',
          'shipping_query.json',
          'nutgram/callback_query.json',
        ]),
      );
      expect(stored.map((s) => s.file)).toEqual(
        expect.arrayContaining([
          'message.json',
          'message_with_photo.json',
          'message_with_voice.json',
          'edited_message.json',
          'reply_message.json',
          'nutgram/contact.json',
        ]),
      );

      const byMessage = new Map<string, RecordedRequest>();
      await eventually(
        async () => {
          for (const r of receiver.requests) {
            const j = r.json as { event?: string; data?: { messageId?: string } };
            if (j?.event === 'message_received' && j.data?.messageId) byMessage.set(j.data.messageId, r);
          }
          return stored.every((s) => byMessage.has(s.messageId));
        },
        20_000,
        'a message_received delivery for every stored fixture',
      );
      for (const s of stored) {
        const hook = byMessage.get(s.messageId)!;
        expect([s.file, WebhookReceiver.verifySeedsSignature(hook, SECRET)]).toEqual([s.file, true]);
        const verified = WebhookReceiver.verifyStandardWebhooks(hook, SECRET) as {
          id: string;
          event: string;
          provider: string;
          sequence: number;
        };
        expect(verified).toMatchObject({ event: 'message_received', provider: 'telegram', instanceId });
        expect(hook.headers['webhook-id']).toBe(verified.id);
        expect(hook.headers['x-webhook-event']).toBe('message_received');
      }
    });

    it('normalizes a text message into contact, chat, history and the seeds’ event fields', async () => {
      const update = prepare(JSON.parse(readFileSync(join(FIXTURES, 'message.json'), 'utf8')));
      const res = JSON.parse((await tg.sendWebhookUpdate(BOT, update)).body);
      const hook = await receiver.waitFor(
        (r) => (r.json as { data?: { messageId?: string } })?.data?.messageId === res.messageId,
      );
      expect((hook.json as { data: unknown }).data).toMatchObject({
        type: 'text',
        text: 'Hi, world!',
        body: 'Hi, world!',
        fromMe: false,
        pushName: 'FirstName LastName',
        from: { id: '12345678', username: 'username' },
        providerChatId: '12345678',
        timestamp: 1508709711,
      });
      const history = await alice
        .get(`/api/instances/${instanceId}/chats/12345678/messages?limit=500`)
        .expect(200);
      expect(history.body.messages.find((m: { id: string }) => m.id === res.messageId)).toMatchObject({
        content: 'Hi, world!',
        remoteJid: '12345678',
        fromMe: false,
        status: 'received',
      });
      const contacts = await alice
        .get(`/api/instances/${instanceId}/contacts/db?search=username`)
        .expect(200);
      expect(contacts.body.contacts[0]).toMatchObject({
        providerContactId: '12345678',
        username: 'username',
        isGroup: false,
      });
      const chats = await alice.get(`/api/instances/${instanceId}/chats`).expect(200);
      expect(chats.body.chats.map((c: { providerChatId: string }) => c.providerChatId)).toContain('12345678');
    });

    it('stores a redelivered update once and delivers it once', async () => {
      const update = prepare({
        message: {
          message_id: 1,
          from: { id: 555, first_name: 'Dup' },
          chat: { id: 555, type: 'private' },
          date: 1700000000,
          text: 'only once',
        },
      });
      const first = JSON.parse((await tg.sendWebhookUpdate(BOT, update)).body);
      const second = JSON.parse((await tg.sendWebhookUpdate(BOT, update)).body);
      expect(first).toMatchObject({ ok: true, duplicate: false, stored: true });
      expect(second).toEqual({ ok: true, duplicate: true, stored: false });
      expect((await rows("SELECT count(*)::int AS n FROM messages WHERE text = 'only once'"))[0].n).toBe(1);
      await receiver.waitFor(
        (r) => (r.json as { data?: { messageId?: string } })?.data?.messageId === first.messageId,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(
        receiver.requests.filter((r) => (r.json as { data?: { text?: string } })?.data?.text === 'only once'),
      ).toHaveLength(1);
    });

    it('streams inbound media through getFile', async () => {
      const bytes = Buffer.from('%PDF-1.4 fake document bytes');
      tg.addFile('DOC-FILE-1', bytes, 'documents/file_1.pdf');
      const update = prepare({
        message: {
          message_id: 1,
          from: { id: 777, first_name: 'M' },
          chat: { id: 777, type: 'private' },
          date: 1700000000,
          document: {
            file_id: 'DOC-FILE-1',
            file_unique_id: 'u1',
            file_name: 'report.pdf',
            mime_type: 'application/pdf',
            file_size: bytes.length,
          },
        },
      });
      const { messageId } = JSON.parse((await tg.sendWebhookUpdate(BOT, update)).body);
      const res = await alice
        .get(`/api/instances/${instanceId}/messages/${messageId}/media`)
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe('attachment; filename="report.pdf"');
      expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
      expect(tg.lastCall('getFile')!.params.file_id).toBe('DOC-FILE-1');
    });
  });

  describe('client webhook delivery', () => {
    it('retries a failing receiver and delivers on the third attempt, recording three attempts', async () => {
      receiver.failNext(2, 503);
      const update = {
        update_id: 990_001,
        message: {
          message_id: 990_001,
          from: { id: 31337, first_name: 'Retry' },
          chat: { id: 31337, type: 'private' },
          date: 1700000000,
          text: 'third time lucky',
        },
      };
      const { messageId } = JSON.parse((await tg.sendWebhookUpdate(BOT, update)).body);
      const [delivery] = await eventually(
        async () => {
          const r = await rows(
            `SELECT d.* FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
            WHERE e.type = 'message_received' AND e.payload->>'messageId' = $1 AND d.status = 'succeeded'`,
            [messageId],
          );
          return r.length ? r : null;
        },
        15_000,
        'the delivery to succeed',
      );
      expect(delivery).toMatchObject({ attempts: 3, last_status_code: 200, status: 'succeeded' });
      const attempts = await rows(
        'SELECT attempt, status_code, error FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt',
        [delivery.id],
      );
      expect(attempts).toEqual([
        { attempt: 1, status_code: 503, error: 'http_503' },
        { attempt: 2, status_code: 503, error: 'http_503' },
        { attempt: 3, status_code: 200, error: null },
      ]);
      const received = receiver.requests.filter(
        (r) => (r.json as { data?: { messageId?: string } })?.data?.messageId === messageId,
      );
      expect(received).toHaveLength(3);
      expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(WebhookReceiver.verifyStandardWebhooks(received[2], SECRET)).toMatchObject({
        event: 'message_received',
      });
    });

    it('lists the same outbox through GET …/events with since, types and hasMore', async () => {
      const all = await alice
        .get(`/api/instances/${instanceId}/events?limit=500&types=message_received`)
        .expect(200);
      expect(all.body.events.length).toBeGreaterThan(10);
      expect(all.body.events.every((e: { type: string }) => e.type === 'message_received')).toBe(true);
      const seqs = all.body.events.map((e: { sequence: number }) => e.sequence);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const page = await alice.get(`/api/instances/${instanceId}/events?limit=2`).expect(200);
      expect(page.body).toMatchObject({ count: 2, hasMore: true });
      const later = await alice
        .get(`/api/instances/${instanceId}/events?since=${encodeURIComponent(all.body.latestTimestamp)}`)
        .expect(200);
      expect(
        later.body.events.every((e: { timestamp: string }) => e.timestamp > all.body.latestTimestamp),
      ).toBe(true);
      const bad = await alice.get(`/api/instances/${instanceId}/events?types=nope`).expect(400);
      expect(bad.body.errors[0].field).toBe('types');
    });

    it('respects the notify flags and emits webhook_updated on settings change', async () => {
      await alice
        .put(`/api/instances/${instanceId}`)
        .send({ webhookSettings: { notifySent: false } })
        .expect(200);
      const updated = await receiver.waitFor(
        (r) => (r.json as { event?: string })?.event === 'webhook_updated',
      );
      expect((updated.json as { instanceId: string }).instanceId).toBe(instanceId);
      const sent = await alice
        .post(`/api/instances/${instanceId}/messages`)
        .send({ to: '4242', type: 'text', text: 'quiet' })
        .expect(201);
      const [ev] = await rows(
        "SELECT id FROM events WHERE type = 'message_sent' AND payload->>'messageId' = $1",
        [sent.body.id],
      );
      expect(ev).toBeDefined();
      expect(
        (await rows('SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1', [ev.id]))[0].n,
      ).toBe(0);
      await alice.put(`/api/instances/${instanceId}`).send({ notifySent: true }).expect(200);
    });
  });

  describe('contacts and lifecycle', () => {
    it('saves a contact in the seeds’ shape and finds it', async () => {
      const saved = await alice
        .post(`/api/instances/${instanceId}/contacts/save`)
        .send({ number: '99887766', name: 'Ivan', pushName: 'Vanya', about: 'hi' })
        .expect(201);
      expect(saved.body).toMatchObject({
        instanceId,
        name: 'Ivan',
        pushName: 'Vanya',
        number: '99887766',
        isGroup: false,
        about: 'hi',
      });
      const found = await alice.get(`/api/instances/${instanceId}/contacts?search=vanya`).expect(200);
      expect(found.body.contacts.map((c: { id: string }) => c.id)).toEqual([saved.body.id]);
      const groups = await alice
        .get(`/api/instances/${instanceId}/contacts/db?onlyGroups=true&limit=500`)
        .expect(200);
      expect(groups.body.contacts.every((c: { isGroup: boolean }) => c.isGroup)).toBe(true);
    });

    it('logs out (deleteWebhook, disconnected event), reconnects, then deletes with cascade', async () => {
      await alice.post(`/api/instances/${instanceId}/logout`).expect(200);
      expect(tg.lastCall('deleteWebhook')).toBeDefined();
      const gone = await receiver.waitFor(
        (r) => (r.json as { event?: string; data?: { reason?: string } })?.data?.reason === 'logout',
      );
      expect((gone.json as { event: string }).event).toBe('disconnected');
      expect((gone.json as { data: unknown }).data).toMatchObject({ reason: 'logout', willReconnect: false });
      expect((await alice.get(`/api/instances/${instanceId}/status`).expect(200)).body.status).toBe(
        'disconnected',
      );
      const again = await alice.post(`/api/instances/${instanceId}/reconnect`).expect(200);
      expect(again.body).toMatchObject({ success: true, status: 'connected' });
      await alice.del(`/api/instances/${instanceId}`).expect(200);
      for (const table of ['instances', 'telegram_instances', 'messages', 'chats', 'contacts', 'events']) {
        const col = table === 'instances' ? 'id' : 'instance_id';
        expect([
          table,
          (await rows(`SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [instanceId]))[0].n,
        ]).toEqual([table, 0]);
      }
    });
  });
});
