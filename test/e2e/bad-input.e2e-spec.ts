import http from 'node:http';
import type request from 'supertest';
import type { Response } from 'supertest';
import { FakeGraphApi, hubSignature256 } from '../fakes/fake-graph-api';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { freePort } from '../utils/free-port';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '790000001:AAFuzzBadInputSpecToken0123456789ab';
const PHONE = '199900000000001';
const WA_TOKEN = 'EAAGm0PX4ZCpsBAKtokenA';
const WA_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PAGE = '199900000000002';
const PAGE_TOKEN = 'EAAPageToken0001';
const PAGE_SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const IG = '17841499900000003';
const IG_TOKEN = 'IGAAUserToken01';
const IG_SECRET = 'instagram-app-secret-0001';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** Tables a request could write to; "nothing was written" = none of their counts moved. */
const TABLES = [
  'users',
  'api_keys',
  'instances',
  'contacts',
  'chats',
  'messages',
  'events',
  'webhook_deliveries',
  'inbound_events',
  'activity_logs',
  'telegram_instances',
  'whatsapp_official_instances',
  'facebook_messenger_instances',
  'instagram_instances',
];

/** JSON nested `levels` deep: `[[[…]]]`. */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

interface Operation {
  method: string;
  path: string;
  /** JSON property names of the request body schema, when there is a JSON body. */
  bodyFields?: string[];
  queryParams: string[];
  pathParams: string[];
}

/**
 * The fuzz report of issue 8, input by input: every class of input that gave a 5xx now gets a
 * 4xx application/problem+json naming the problem, and nothing is written. Beside the listed
 * inputs, list and body routes are swept from the OpenAPI document so new routes are covered.
 */
describe('bad input never breaks the API (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let graph: FakeGraphApi;
  let igGraph: FakeGraphApi;
  let alice: TestTenant;
  let tgId: string;
  let waId: string;
  let msId: string;
  let igId: string;
  let tgSecret: string;
  let operations: Operation[];

  const rows = (sql: string, params: unknown[] = []) => t.db.query(sql, params);
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) out[table] = Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0].n);
    return out;
  };
  const admin = (r: request.Test) => r.set('authorization', `Bearer ${t.adminToken}`);

  /** A 4xx application/problem+json with `code`, and with `field` among `errors[].field` when given. */
  const expectProblem = (res: Response, status: number, code: string, field?: string) => {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(res.body).toMatchObject({ status, code, type: `https://switchboard.dev/problems/${code}` });
    if (field) expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
  };

  /** `path` with every `{param}` filled in: instance ids with the Telegram instance's, others with `x`. */
  const fill = (path: string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === 'id' || name === 'instanceId' ? tgId : name === 'provider' ? 'telegram' : 'x',
    );

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'fuzz_bot' });
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, { token: WA_TOKEN });
    graph.addPage(PAGE, { token: PAGE_TOKEN, name: 'Fuzz Page' });
    igGraph = await FakeGraphApi.start();
    igGraph.addInstagramAccount(IG, { token: IG_TOKEN, username: 'fuzz.shop' });
    const port = await freePort();
    t = await startTestApp(
      {
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        GRAPH_API_BASE_URL: graph.baseUrl,
        INSTAGRAM_GRAPH_API_BASE_URL: igGraph.baseUrl,
        GRAPH_API_VERSION: 'v23.0',
      },
      port,
    );
    alice = await createTenant(t);
    const create = async (provider: string, config: Record<string, unknown>) =>
      (await alice.post('/api/instances').send({ provider, name: provider, config }).expect(201)).body
        .id as string;
    tgId = await create('telegram', { botToken: BOT });
    tgSecret = String(tg.lastCall('setWebhook')!.params.secret_token);
    waId = await create('whatsapp-official', {
      phoneNumberId: PHONE,
      accessToken: WA_TOKEN,
      appSecret: WA_SECRET,
      webhookVerifyToken: 'wa-verify',
    });
    msId = await create('facebook-messenger', {
      pageId: PAGE,
      pageAccessToken: PAGE_TOKEN,
      appSecret: PAGE_SECRET,
      webhookVerifyToken: 'ms-verify',
    });
    igId = await create('instagram', {
      igId: IG,
      accessToken: IG_TOKEN,
      appSecret: IG_SECRET,
      webhookVerifyToken: 'ig-verify',
    });

    const doc = (await t.http().get('/api/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; requestBody?: any }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const ref: string | undefined = op.requestBody?.content?.['application/json']?.schema?.$ref;
        const schema = ref ? doc.components.schemas[ref.split('/').pop()!] : undefined;
        return {
          method,
          path,
          bodyFields: op.requestBody?.content?.['application/json']
            ? [...Object.keys(schema?.properties ?? {}), 'value']
            : undefined,
          queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        };
      }),
    );
  });

  afterAll(async () => {
    // the run shares one database: other specs count provider config rows from zero
    for (const id of [tgId, waId, msId, igId].filter(Boolean)) {
      await alice.del(`/api/instances/${id}`).expect((res) => expect(res.status).toBeLessThan(300));
    }
    await t.close();
    await tg.stop();
    await graph.stop();
    await igGraph.stop();
  });

  describe('JSON nested 5,000 levels deep (was RangeError in class-transformer)', () => {
    it('as the body or inside a field of every documented body route: 400 payload_too_deep, nothing written', async () => {
      const bodyRoutes = operations.filter((o) => o.bodyFields);
      expect(bodyRoutes.length).toBeGreaterThanOrEqual(18);
      const before = await counts();
      for (const op of bodyRoutes) {
        const field = op.bodyFields![0];
        for (const body of [nested(5000), `{${JSON.stringify(field)}:${nested(5000)}}`]) {
          const res = await admin(
            (t.http() as unknown as Record<string, (p: string) => request.Test>)[op.method](fill(op.path)),
          )
            .set('content-type', 'application/json')
            .send(body);
          try {
            expectProblem(res, 400, 'payload_too_deep');
          } catch (err) {
            throw new Error(
              `${op.method.toUpperCase()} ${op.path} (${res.body.detail}): ${(err as Error).message}`,
            );
          }
        }
      }
      expect(await counts()).toEqual(before);
    });

    it('on the provider webhooks too, before any signature is checked', async () => {
      const before = await counts();
      const deep = `{"update_id":1,"message":${nested(5000)}}`;
      for (const path of [
        `/webhooks/telegram/${tgId}`,
        '/webhooks/whatsapp',
        `/webhooks/whatsapp/${waId}`,
        '/webhooks/messenger',
        `/webhooks/instagram/${igId}`,
      ]) {
        const res = await t
          .http()
          .post(path)
          .set('content-type', 'application/json')
          .set('x-telegram-bot-api-secret-token', tgSecret)
          .set('x-hub-signature-256', hubSignature256(WA_SECRET, deep))
          .send(deep);
        expectProblem(res, 400, 'payload_too_deep');
      }
      expect(await counts()).toEqual(before);
    });

    it('32 levels pass the depth check; a body over 1 MB is 413 payload_too_large', async () => {
      const ok = await alice
        .post('/api/auth/api-keys')
        .set('content-type', 'application/json')
        .send(`{"name":"k","x":${nested(31)}}`);
      // one level for the body object: 32 deep reaches validation, which refuses the unknown field
      expectProblem(ok, 400, 'validation_failed', 'x');
      const before = await counts();
      const big = await alice.post('/api/auth/api-keys').send({ name: 'x'.repeat(1_100_000) });
      expectProblem(big, 413, 'payload_too_large');
      expect(await counts()).toEqual(before);
    });
  });

  describe('?skip=99999999999999999999 (was PostgreSQL bigint out of range)', () => {
    it('every documented list route answers 400 naming skip (and limit), nothing written', async () => {
      const lists = operations.filter((o) => o.method === 'get' && o.queryParams.includes('skip'));
      expect(lists.map((o) => o.path)).toEqual(
        expect.arrayContaining([
          '/api/instances',
          '/api/users',
          '/api/instances/{id}/contacts',
          '/api/instances/{id}/chats',
          '/api/instances/{id}/chats/{chatId}/messages',
          '/api/instances/{id}/activity',
          '/api/instances/{id}/webhook-deliveries',
        ]),
      );
      const before = await counts();
      for (const op of lists) {
        for (const [query, field] of [
          ['skip=99999999999999999999', 'skip'],
          ['skip=9007199254740992', 'skip'],
          ['skip=1e3', 'skip'],
          ['limit=99999999999999999999', 'limit'],
        ]) {
          const res = await admin(t.http().get(`${fill(op.path)}?${query}`));
          try {
            expectProblem(res, 400, 'validation_failed', field);
          } catch (err) {
            throw new Error(`GET ${op.path}?${query}: ${(err as Error).message}`);
          }
        }
      }
      expect(await counts()).toEqual(before);
    });

    it('the largest skip still pages (an empty page past the end)', async () => {
      const res = await alice.get(`/api/instances?skip=${Number.MAX_SAFE_INTEGER}`).expect(200);
      expect(res.body.pagination).toMatchObject({ skip: Number.MAX_SAFE_INTEGER, hasMore: false });
      expect(res.body.instances).toEqual([]);
    });
  });

  describe('NUL bytes (was PostgreSQL invalid byte sequence 0x00)', () => {
    it('in body fields: api-key name, instance name (POST and PUT), contacts/save number', async () => {
      const before = await counts();
      const calls = tg.calls().length;
      expectProblem(
        await alice.post('/api/auth/api-keys').send({ name: 'a\u0000b' }),
        400,
        'validation_failed',
        'name',
      );
      expectProblem(
        await alice
          .post('/api/instances')
          .send({ provider: 'telegram', name: 'a\u0000b', config: { botToken: BOT } }),
        400,
        'validation_failed',
        'name',
      );
      expectProblem(
        await alice.put(`/api/instances/${tgId}`).send({ name: 'a\u0000b' }),
        400,
        'validation_failed',
        'name',
      );
      for (const path of [`/api/instances/${tgId}/contacts/save`, `/api/whatsapp/${tgId}/contacts/save`]) {
        expectProblem(
          await alice.post(path).send({ number: '12\u00003' }),
          400,
          'validation_failed',
          'number',
        );
      }
      const nestedRes = await alice
        .post(`/api/instances/${tgId}/messages`)
        .send({ to: '1', type: 'contacts', contacts: [{ name: 'a\u0000', phone: '1' }] });
      expectProblem(nestedRes, 400, 'validation_failed', 'contacts.0.name');
      expect(await counts()).toEqual(before);
      expect((await rows('SELECT name FROM instances WHERE id = $1', [tgId]))[0].name).toBe('telegram');
      expect(tg.calls().length).toBe(calls);
    });

    it('in queries: ?search=a%00b, ?actions=a%00b', async () => {
      const before = await counts();
      for (const [path, field] of [
        [`/api/instances/${tgId}/contacts?search=a%00b`, 'search'],
        [`/api/instances/${tgId}/contacts/db?search=a%00b`, 'search'],
        [`/api/whatsapp/${tgId}/contacts?search=a%00b`, 'search'],
        [`/api/instances/${tgId}/activity?actions=a%00b`, 'actions'],
      ]) {
        expectProblem(await alice.get(path), 400, 'validation_failed', field);
      }
      expect(await counts()).toEqual(before);
    });

    it('in path ids: {messageId}=abc%00def, {chatId}', async () => {
      const before = await counts();
      const calls = tg.calls().length;
      for (const [method, path, field] of [
        ['get', `/api/instances/${tgId}/messages/abc%00def`, 'messageId'],
        ['get', `/api/instances/${tgId}/messages/abc%00def/media`, 'messageId'],
        ['post', `/api/instances/${tgId}/messages/abc%00def/read`, 'messageId'],
        ['get', `/api/instances/${tgId}/chats/abc%00def/messages`, 'chatId'],
        ['post', `/api/instances/${tgId}/chats/abc%00def/typing`, 'chatId'],
        ['get', `/api/webhook-deliveries/abc%00def`, 'id'],
      ] as const) {
        const res = await (method === 'get' ? alice.get(path) : alice.post(path).send({}));
        expectProblem(res, 400, 'validation_failed', field);
      }
      expect(await counts()).toEqual(before);
      expect(tg.calls().length).toBe(calls);
    });
  });

  describe('a lone surrogate "\\ud800" (was URIError in the validator / invalid input syntax for type json)', () => {
    const raw = (body: string) => body.replace('LONE', '\\ud800');

    it('in email on login, POST /api/users, PATCH /api/users/:id', async () => {
      const before = await counts();
      const login = await t
        .http()
        .post('/api/auth/login')
        .set('content-type', 'application/json')
        .send(raw('{"email":"LONE@example.com","password":"x"}'));
      expectProblem(login, 400, 'validation_failed', 'email');
      const created = await admin(t.http().post('/api/users'))
        .set('content-type', 'application/json')
        .send(raw('{"email":"LONE@example.com","password":"password-123"}'));
      expectProblem(created, 400, 'validation_failed', 'email');
      const patched = await admin(t.http().patch(`/api/users/${alice.userId}`))
        .set('content-type', 'application/json')
        .send(raw('{"email":"LONE@example.com"}'));
      expectProblem(patched, 400, 'validation_failed', 'email');
      expect(await counts()).toEqual(before);
      expect((await rows('SELECT email FROM users WHERE id = $1', [alice.userId]))[0].email).toBe(
        alice.email,
      );
    });

    it('in message on POST /api/whatsapp/:id/send: nothing stored, nothing sent', async () => {
      const before = await counts();
      const sends = tg.calls('sendMessage').length;
      const res = await alice
        .post(`/api/whatsapp/${tgId}/send`)
        .set('content-type', 'application/json')
        .send(raw('{"phone":"4242","message":"hi LONE"}'));
      expectProblem(res, 400, 'validation_failed', 'message');
      expect(await counts()).toEqual(before);
      expect(tg.calls('sendMessage').length).toBe(sends);
    });
  });

  describe('signed provider payloads of the wrong shape (was TypeError: not iterable)', () => {
    const waBody = (value: Record<string, unknown>) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
                  ...value,
                },
              },
            ],
          },
        ],
      });
    const postSigned = (path: string, body: string, secret: string) =>
      t
        .http()
        .post(path)
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', hubSignature256(secret, body))
        .send(body);
    /** The inbound_events rows written since `sinceId`, for `instanceId`. */
    const archived = async (instanceId: string, sinceId: number) =>
      rows(
        `SELECT outcome, skip_reason, payload FROM inbound_events WHERE instance_id = $1 AND id > $2 ORDER BY id`,
        [instanceId, sinceId],
      );
    const lastEventId = async () =>
      Number((await rows('SELECT coalesce(max(id), 0) AS n FROM inbound_events'))[0].n);
    const countOf = async (table: string) => Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0].n);

    it.each([
      ['statuses: 12345', { statuses: 12345 }, 'malformed_payload:/value/statuses must be array'],
      ['messages: "garbage"', { messages: 'garbage' }, 'malformed_payload:/value/messages must be array'],
    ])('WhatsApp %s on /webhooks/whatsapp and /:id: 200, archived, skipped', async (_, value, reason) => {
      for (const path of ['/webhooks/whatsapp', `/webhooks/whatsapp/${waId}`]) {
        const since = await lastEventId();
        const messages = await countOf('messages');
        const body = waBody({ ...value, nonce: path });
        const res = await postSigned(path, body, WA_SECRET).expect(200);
        expect(res.body).toEqual({ ok: true, stored: 0, duplicates: 0, skipped: 1 });
        expect(await archived(waId, since)).toEqual([
          { outcome: 'skipped', skip_reason: reason, payload: JSON.parse(body).entry[0].changes[0] },
        ]);
        expect(await countOf('messages')).toBe(messages);
        // Meta redelivers until it gets a 2xx: the same body again is a duplicate, not a second row
        expect((await postSigned(path, body, WA_SECRET).expect(200)).body).toMatchObject({ duplicates: 1 });
      }
    });

    it('WhatsApp: a malformed change beside a good one; an entry that is a string; no entry[] on /:id', async () => {
      const since = await lastEventId();
      const good = {
        field: 'messages',
        value: {
          metadata: { phone_number_id: PHONE },
          contacts: [{ profile: { name: 'Ann' }, wa_id: '16505551234' }],
          messages: [
            {
              from: '16505551234',
              id: 'wamid.BAD1',
              timestamp: '1749416383',
              type: 'text',
              text: { body: 'kept' },
            },
          ],
        },
      };
      const body = JSON.stringify({
        entry: [{ id: 'W', changes: [{ field: 'messages', value: { statuses: 1 } }, good] }, 'garbage'],
      });
      expect((await postSigned(`/webhooks/whatsapp/${waId}`, body, WA_SECRET).expect(200)).body).toEqual({
        ok: true,
        stored: 1,
        duplicates: 0,
        skipped: 2,
      });
      expect((await archived(waId, since)).map((r: { skip_reason: string | null }) => r.skip_reason)).toEqual(
        ['malformed_payload:/value/statuses must be array', null, 'malformed_payload:/ must be object'],
      );
      expect((await rows(`SELECT text FROM messages WHERE provider_message_id = 'wamid.BAD1'`))[0].text).toBe(
        'kept',
      );

      const noEntry = JSON.stringify({ object: 'whatsapp_business_account', entry: 'x' });
      const since2 = await lastEventId();
      expect(
        (await postSigned(`/webhooks/whatsapp/${waId}`, noEntry, WA_SECRET).expect(200)).body.skipped,
      ).toBe(1);
      expect(await archived(waId, since2)).toEqual([
        {
          outcome: 'skipped',
          skip_reason: 'malformed_payload:/entry must be array',
          payload: JSON.parse(noEntry),
        },
      ]);
      // on the shared URL such a body names no instance whose secret could verify it
      await postSigned('/webhooks/whatsapp', noEntry, WA_SECRET).expect(401);
      await postSigned(`/webhooks/whatsapp/${waId}`, noEntry, 'wrong-secret').expect(401);
    });

    it.each([
      ['Messenger', () => '/webhooks/messenger', () => msId, PAGE, PAGE_SECRET, 7],
      ['Messenger /:id', () => `/webhooks/messenger/${msId}`, () => msId, PAGE, PAGE_SECRET, 8],
      ['Instagram', () => '/webhooks/instagram', () => igId, IG, IG_SECRET, 9],
      ['Instagram /:id', () => `/webhooks/instagram/${igId}`, () => igId, IG, IG_SECRET, 10],
    ])(
      '%s: messaging "garbage", an event that is a number, a string watermark → 200, archived, skipped',
      async (_, path, id, account, secret, n) => {
        const since = await lastEventId();
        const messages = await countOf('messages');
        const body = JSON.stringify({
          object: account === PAGE ? 'page' : 'instagram',
          entry: [
            { id: account, time: n, messaging: 'garbage' },
            {
              id: account,
              time: 2,
              messaging: [n, { sender: { id: `U${n}` }, delivery: { watermark: 'abc' } }],
            },
          ],
        });
        expect((await postSigned(path(), body, secret).expect(200)).body).toEqual({
          ok: true,
          stored: 0,
          duplicates: 0,
          skipped: 3,
        });
        expect(await archived(id(), since)).toEqual([
          {
            outcome: 'skipped',
            skip_reason: 'malformed_payload:/messaging must be array',
            payload: JSON.parse(body).entry[0],
          },
          { outcome: 'skipped', skip_reason: 'malformed_payload:/ must be object', payload: { received: n } },
          {
            outcome: 'skipped',
            skip_reason: 'malformed_payload:/delivery/watermark must be integer',
            payload: { sender: { id: `U${n}` }, delivery: { watermark: 'abc' } },
          },
        ]);
        expect(await countOf('messages')).toBe(messages);
      },
    );

    it('Telegram: an update without update_id or with message.chat a string → 200, archived, skipped', async () => {
      const messages = await countOf('messages');
      for (const [update, reason] of [
        [
          { message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' } } },
          "malformed_payload:/ must have required property 'update_id'",
        ],
        [
          { update_id: 77001, message: { message_id: 1, date: 1, chat: 'x' } },
          'malformed_payload:/message/chat must be object',
        ],
        [
          {
            update_id: 77002,
            message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, photo: 12345 },
          },
          'malformed_payload:/message/photo must be array',
        ],
      ] as const) {
        const since = await lastEventId();
        const res = await t
          .http()
          .post(`/webhooks/telegram/${tgId}`)
          .set('x-telegram-bot-api-secret-token', tgSecret)
          .send(update)
          .expect(200);
        expect(res.body).toMatchObject({ ok: true, stored: false, duplicate: false, skipReason: reason });
        expect(await archived(tgId, since)).toEqual([
          { outcome: 'skipped', skip_reason: reason, payload: update },
        ]);
      }
      expect(await countOf('messages')).toBe(messages);
    });

    it('NUL and lone surrogates inside provider text are stored as U+FFFD, never a 5xx', async () => {
      const tgRes = await t
        .http()
        .post(`/webhooks/telegram/${tgId}`)
        .set('x-telegram-bot-api-secret-token', tgSecret)
        .set('content-type', 'application/json')
        .send(
          '{"update_id":77010,"message":{"message_id":5,"date":1749416383,"chat":{"id":4242,"type":"private","first_name":"N\\u0000l"},' +
            '"from":{"id":4242,"first_name":"N\\u0000l"},"text":"a\\u0000b \\ud800 c"}}',
        )
        .expect(200);
      expect(tgRes.body).toMatchObject({ stored: true });
      const [tgMessage] = await rows(`SELECT text, sender FROM messages WHERE id = $1`, [
        tgRes.body.messageId,
      ]);
      expect(tgMessage).toEqual({
        text: 'a\uFFFDb \uFFFD c',
        sender: expect.objectContaining({ name: 'N\uFFFDl' }),
      });
      const [tgArchive] = await rows(
        `SELECT payload FROM inbound_events WHERE instance_id = $1 AND provider_event_id = '77010'`,
        [tgId],
      );
      expect(tgArchive.payload.message.text).toBe('a\uFFFDb \uFFFD c');

      const waRaw = waBody({
        messages: [
          {
            from: '16505551234',
            id: 'wamid.NUL1',
            timestamp: '1749416383',
            type: 'text',
            text: { body: 'x' },
          },
        ],
      }).replace('"body":"x"', '"body":"x\\u0000y"');
      expect((await postSigned('/webhooks/whatsapp', waRaw, WA_SECRET).expect(200)).body).toMatchObject({
        stored: 1,
      });
      expect((await rows(`SELECT text FROM messages WHERE provider_message_id = 'wamid.NUL1'`))[0].text).toBe(
        'x\uFFFDy',
      );
    });
  });

  describe('every documented operation, each of its inputs', () => {
    /** Sends `op` with one input replaced; the answer must be a 4xx problem+json. */
    const expect4xx = async (op: Operation, path: string, body: string | undefined, what: string) => {
      let r = admin((t.http() as unknown as Record<string, (p: string) => request.Test>)[op.method](path));
      if (body !== undefined) r = r.set('content-type', 'application/json').send(body);
      const res = await r;
      if (
        res.status < 400 ||
        res.status >= 500 ||
        !/^application\/problem\+json/.test(res.headers['content-type'])
      ) {
        throw new Error(
          `${op.method.toUpperCase()} ${op.path} with ${what}: ${res.status} ${res.text.slice(0, 200)}`,
        );
      }
    };

    it('NUL in any path parameter, query parameter or body field, a lone surrogate in any body field: a 4xx, nothing written', async () => {
      const before = await counts();
      let sent = 0;
      for (const op of operations) {
        for (const name of op.pathParams) {
          const path = fill(op.path.replace(`{${name}}`, 'abc%00def'));
          await expect4xx(op, path, op.bodyFields ? '{}' : undefined, `${name}=abc%00def`);
          sent += 1;
        }
        for (const name of op.queryParams) {
          await expect4xx(
            op,
            `${fill(op.path)}?${name}=a%00b`,
            op.bodyFields ? '{}' : undefined,
            `?${name}=a%00b`,
          );
          sent += 1;
        }
        for (const field of op.bodyFields ?? []) {
          for (const value of ['"a\\u0000b"', '"a\\ud800b"']) {
            await expect4xx(op, fill(op.path), `{${JSON.stringify(field)}:${value}}`, `${field}: ${value}`);
            sent += 1;
          }
        }
      }
      expect(sent).toBeGreaterThan(100);
      expect(await counts()).toEqual(before);
    });

    it('dates outside what PostgreSQL stores, in any date query parameter: a 4xx', async () => {
      const dated = [
        ...operations
          .filter((o) => o.method === 'get')
          .flatMap((o) =>
            o.queryParams.filter((q) => /since|until|date/i.test(q)).map((q) => ({ op: o, name: q })),
          ),
        { op: { method: 'get', path: '/api/instances/{id}/events' } as Operation, name: 'since' },
        { op: { method: 'get', path: '/api/instances/{id}/activity' } as Operation, name: 'startDate' },
        { op: { method: 'get', path: '/api/instances/{id}/activity' } as Operation, name: 'endDate' },
      ];
      for (const { op, name } of dated) {
        for (const value of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', 'x']) {
          await expect4xx(
            op,
            `${fill(op.path)}?${name}=${encodeURIComponent(value)}`,
            undefined,
            `${name}=${value}`,
          );
        }
      }
    });
  });

  describe('GET …/events/stream with an invalid query (sometimes opened the stream with event: error)', () => {
    /** The status and content type the stream answers with; the body when it is not an event stream. */
    const open = (query: string) =>
      new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = http.get(
          `${t.baseUrl}/api/instances/${tgId}/events/stream?${query}`,
          { headers: { 'x-api-key': alice.apiKey } },
          (res) => {
            const type = String(res.headers['content-type'] ?? '');
            if (type.startsWith('text/event-stream')) {
              res.destroy();
              resolve({ status: res.statusCode!, type, body: '' });
              return;
            }
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, type, body }));
          },
        );
        req.on('error', reject);
      });

    it.each([
      ['types=xxx', 'types'],
      ['foo=1', 'foo'],
      ['types=message_sent&types=message_received', 'types'],
      ['types=message_sent%00', 'types'],
    ])('?%s is a 400 problem+json every time, before the stream opens', async (query, field) => {
      for (let i = 0; i < 10; i++) {
        const res = await open(query);
        expect({ status: res.status, type: res.type }).toEqual({
          status: 400,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        const problem = JSON.parse(res.body);
        expect(problem.code).toBe('validation_failed');
        expect(JSON.stringify(problem.errors)).toContain(field);
      }
    });

    it('a valid query opens the stream; an unknown instance is still a 404', async () => {
      expect(await open('types=message_sent,message_received')).toMatchObject({
        status: 200,
        type: expect.stringMatching(/^text\/event-stream/),
      });
      const missing = await new Promise<number>((resolve) =>
        http.get(
          `${t.baseUrl}/api/instances/${UNKNOWN_ID}/events/stream?types=xxx`,
          { headers: { 'x-api-key': alice.apiKey } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        ),
      );
      expect(missing).toBe(404);
    });
  });
});
