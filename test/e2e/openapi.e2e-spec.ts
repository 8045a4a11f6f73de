import { Validator } from '@seriousme/openapi-schema-validator';
import { FakeDiscord } from '../fakes/fake-discord';
import { FakeGraphApi } from '../fakes/fake-graph-api';
import { FakeSlack } from '../fakes/fake-slack';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { EVENT_TYPES } from '../../src/modules/webhooks/event-types';
import type { Exchange } from '../utils/openapi-contract';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation of the document as `[METHOD path, operation]`. */
const operations = (doc: Json): [string, Json][] =>
  Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m): [string, Json] => [`${m.toUpperCase()} ${path}`, item[m]]),
  );

/**
 * The published OpenAPI document is a contract: valid OpenAPI 3.1, a success schema for every
 * operation, ProblemDetails for every error, the events in `webhooks`, examples that work. Every
 * response of every e2e spec is checked against it by test/utils/test-app.ts (a departure fails
 * that spec when its app closes); the first tests here show that check can fail.
 */
describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Json;
  let graph: FakeGraphApi;
  let tg: FakeTelegramApi;
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let receiver: WebhookReceiver;
  let alice: TestTenant;

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    tg = await FakeTelegramApi.start();
    discord = await FakeDiscord.start();
    slack = await FakeSlack.start();
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      DISCORD_API_URL: discord.apiUrl,
      GRAPH_API_BASE_URL: graph.baseUrl,
      INSTAGRAM_GRAPH_API_BASE_URL: graph.baseUrl,
      GRAPH_API_VERSION: 'v23.0',
      TELEGRAM_API_ROOT: tg.apiRoot,
      SLACK_API_URL: slack.apiUrl,
    });
    doc = t.contract.document;
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
    await graph.stop();
    await tg.stop();
    await discord.stop();
    await slack.stop();
    await receiver.stop();
  });

  describe('the response check', () => {
    const exchange = (x: Partial<Exchange> & Pick<Exchange, 'method' | 'url' | 'status'>): Exchange => ({
      contentType: 'application/json; charset=utf-8',
      body: Buffer.from('{}'),
      ...x,
    });
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));

    it('passes a real response and fails one whose body breaks the schema', async () => {
      const real = await alice.get('/api/auth/api-keys').expect(200);
      const ok = exchange({ method: 'GET', url: '/api/auth/api-keys', status: 200, body: json(real.body) });
      expect(t.contract.check(ok)).toEqual([]);

      const asArray = t.contract.check({ ...ok, body: json(real.body.apiKeys) });
      expect(asArray).toHaveLength(1);
      expect(asArray[0]).toMatch(
        /does not match GET \/api\/auth\/api-keys 200 application\/json: data must be object/,
      );

      const wrongType = t.contract.check({
        ...ok,
        body: json({ apiKeys: [{ ...real.body.apiKeys[0], createdAt: 42 }] }),
      });
      expect(wrongType[0]).toMatch(/createdAt must be string/);
    });

    it('fails a field the document does not name', () => {
      const body = json({ status: 'ok', uptimeSeconds: 3, build: 'abc' });
      const found = t.contract.check(exchange({ method: 'GET', url: '/health', status: 200, body }));
      expect(found[0]).toMatch(/must NOT have additional properties/);
    });

    it('fails an undocumented status, media type or operation', () => {
      expect(t.contract.check(exchange({ method: 'GET', url: '/api/auth/me', status: 418 }))[0]).toMatch(
        /status 418 is not documented for GET \/api\/auth\/me/,
      );
      const html = exchange({
        method: 'GET',
        url: '/api/auth/me',
        status: 401,
        contentType: 'text/html',
        body: Buffer.from('<h1>no</h1>'),
      });
      expect(t.contract.check(html)[0]).toMatch(
        /Content-Type text\/html is not one of application\/problem\+json/,
      );
      expect(t.contract.check(exchange({ method: 'GET', url: '/api/nothing-here', status: 200 }))[0]).toMatch(
        /no such operation/,
      );
      const problem = { type: 'x', title: 'Not Found', status: 404, detail: 'd' }; // no `code`
      const bad = exchange({
        method: 'GET',
        url: `/api/instances/${'0'.repeat(8)}`,
        status: 404,
        contentType: 'application/problem+json',
        body: json(problem),
      });
      expect(t.contract.check(bad)[0]).toMatch(/must have required property 'code'/);
    });

    it('matches literal path segments before parameters', () => {
      expect(t.contract.route('post', '/api/instances/abc/messages/upload')).toBe(
        '/api/instances/{id}/messages/upload',
      );
      expect(t.contract.route('get', '/api/instances/abc/contacts/db?limit=1')).toBe(
        '/api/instances/{id}/contacts/db',
      );
    });
  });

  describe('the document', () => {
    it('is valid OpenAPI 3.1', async () => {
      const result = await new Validator().validate(doc);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(doc.openapi).toBe('3.1.0');
    });

    it('gives every operation a success schema and every error the ProblemDetails schema', () => {
      const ops = operations(doc);
      expect(ops.length).toBeGreaterThan(70);
      const withoutSuccess = ops
        .filter(([, op]) =>
          Object.entries<Json>(op.responses)
            .filter(([status]) => /^2/.test(status))
            .every(([, r]) => !Object.values<Json>(r.content ?? {}).some((c) => c.schema)),
        )
        .map(([name]) => name);
      expect(withoutSuccess).toEqual([]);
      const badErrors = ops.flatMap(([name, op]) =>
        Object.entries<Json>(op.responses)
          .filter(([status]) => /^[45]/.test(status))
          .filter(
            ([, r]) =>
              Object.keys(r.content ?? {}).join() !== 'application/problem+json' ||
              r.content['application/problem+json'].schema.$ref !== '#/components/schemas/ProblemDetails',
          )
          .map(([status]) => `${name} ${status}`),
      );
      expect(badErrors).toEqual([]);
      expect(ops.flatMap(([name, op]) => ('default' in op.responses ? [name] : []))).toEqual([]);
      expect(doc.components.schemas.ProblemDetails.required).toEqual([
        'type',
        'title',
        'status',
        'detail',
        'code',
      ]);
    });

    it('lists the tags in reading order', () => {
      const tags = doc.tags.map((tag: Json) => tag.name);
      expect(tags.slice(0, 7)).toEqual([
        'auth',
        'instances',
        'messages',
        'contacts',
        'webhook deliveries',
        'events',
        'stats',
      ]);
      expect(tags.slice(-2)).toEqual(['compatibility', 'health']);
      const used = new Set(operations(doc).flatMap(([, op]) => op.tags ?? []));
      expect([...used].filter((tag) => !tags.includes(tag))).toEqual([]);
    });

    it('declares Idempotency-Key once, optional, and every path parameter', () => {
      for (const path of ['/api/instances/{id}/messages', '/api/instances/{id}/messages/upload']) {
        const headers = doc.paths[path].post.parameters.filter(
          (p: Json) => p.in === 'header' && /^idempotency-key$/i.test(p.name),
        );
        expect(headers).toEqual([expect.objectContaining({ name: 'Idempotency-Key', required: false })]);
      }
      const undeclared = operations(doc).flatMap(([name, op]) =>
        [...name.matchAll(/\{([^}]+)\}/g)]
          .map((m) => m[1])
          .filter((p) => !(op.parameters ?? []).some((q: Json) => q.in === 'path' && q.name === p))
          .map((p) => `${name}: {${p}}`),
      );
      expect(undeclared).toEqual([]);
    });

    it('documents the real media types of /metrics and the event stream', () => {
      expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
      expect(
        Object.keys(doc.paths['/api/instances/{id}/events/stream'].get.responses['200'].content),
      ).toEqual(['text/event-stream']);
    });

    it('documents the provider callback URLs', () => {
      for (const platform of ['whatsapp', 'messenger', 'instagram']) {
        expect(Object.keys(doc.paths[`/webhooks/${platform}`]).sort()).toEqual(['get', 'post']);
        expect(Object.keys(doc.paths[`/webhooks/${platform}/{instanceId}`]).sort()).toEqual(['get', 'post']);
      }
      expect(doc.paths['/webhooks/telegram/{instanceId}'].post.tags).toEqual(['provider webhooks']);
    });

    it('publishes every event in `webhooks`, with its envelope and data schemas', () => {
      expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
      for (const event of EVENT_TYPES) {
        const body = doc.webhooks[event].post.requestBody.content['application/json'].schema;
        const name = body.$ref.split('/').pop();
        const envelope = doc.components.schemas[name];
        expect(envelope.properties.event).toEqual({ type: 'string', enum: [event] });
        expect(envelope.properties.data.$ref).toMatch(/EventData$/);
      }
      expect(doc.components.schemas.EventEnvelope.oneOf).toHaveLength(EVENT_TYPES.length);
    });
  });

  describe('instance examples', () => {
    const examples = () =>
      Object.entries<Json>(doc.paths['/api/instances'].post.requestBody.content['application/json'].examples);
    const count = async () => (await t.db.query('SELECT count(*)::int AS n FROM instances'))[0].n as number;

    /** Makes the fakes accept the credentials an example carries. */
    const register = (config: Json) => {
      if (config.botToken && config.clientId) discord.addBot(config.botToken, { id: config.clientId });
      else if (config.botToken?.startsWith('xoxb-')) slack.addBot({ token: config.botToken });
      else if (config.botToken) tg.addBot(config.botToken, { username: 'example_bot' });
      if (config.phoneNumberId) graph.addPhoneNumber(config.phoneNumberId, { token: config.accessToken });
      if (config.pageId) graph.addPage(config.pageId, { token: config.pageAccessToken });
      if (config.igId) graph.addInstagramAccount(config.igId, { token: config.accessToken });
    };

    it('has one example per provider, and each one creates its instance', async () => {
      expect(examples().map(([, e]) => e.value.provider)).toEqual([
        'telegram',
        'whatsapp-official',
        'facebook-messenger',
        'instagram',
        'discord',
        'slack',
      ]);
      for (const [name, example] of examples()) {
        register(example.value.config);
        const res = await alice.post('/api/instances').send(example.value);
        expect({ name, status: res.status, code: res.body.code }).toEqual({
          name,
          status: 201,
          code: undefined,
        });
        // a Discord instance is connected once a worker's Gateway connection says READY
        const status = example.value.provider === 'discord' ? 'connecting' : 'connected';
        expect(res.body).toMatchObject({ provider: example.value.provider, status });
        await alice.del(`/api/instances/${res.body.id}`).expect(200);
      }
    });

    it.each([
      ['whatsapp-official', 'accessToken'],
      ['facebook-messenger', 'pageAccessToken'],
      ['instagram', 'accessToken'],
      ['telegram', 'botToken'],
      ['slack', 'botToken'],
    ])(
      'answers a %s token that cannot go into a header with a 400 naming config.%s, saving nothing',
      async (provider, field) => {
        const [, example] = examples().find(([, e]) => e.value.provider === provider)!;
        const before = await count();
        for (const token of [`${example.value.config[field]}…`, 'EAAG abc', 'токен']) {
          const res = await alice
            .post('/api/instances')
            .send({ ...example.value, config: { ...example.value.config, [field]: token } })
            .expect(400);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body.code).toBe('validation_failed');
          expect(res.body.errors).toEqual([expect.objectContaining({ field: `config.${field}` })]);
        }
        expect(await count()).toBe(before);
      },
    );
  });

  describe('webhook deliveries', () => {
    it('are what the webhooks section publishes', async () => {
      const bot = '987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
      tg.addBot(bot, { username: 'contract_bot' });
      const created = await alice
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name: 'contract',
          config: { botToken: bot },
          webhookUrl: receiver.url('/c'),
        })
        .expect(201);
      const id = created.body.id;
      await alice
        .post(`/api/instances/${id}/messages`)
        .send({ to: '424242', type: 'text', text: 'hi' })
        .expect(201);
      await alice.post(`/api/instances/${id}/webhook/test`).expect(200);
      const bodies = await eventually(async () => {
        const got = receiver.requests.filter((r) => r.path === '/c').map((r) => r.json as Json);
        const events = new Set(got.map((b) => b.event));
        return ['connected', 'message_sent', 'webhook_test'].every((e) => events.has(e)) && got;
      });
      for (const body of bodies)
        expect({ event: body.event, found: t.contract.checkWebhook(body) }).toEqual({
          event: body.event,
          found: [],
        });
      expect(t.contract.checkWebhook({ ...bodies[0], sequence: 'one' })[0]).toMatch(
        /sequence must be integer/,
      );
      const sent = bodies.find((b) => b.event === 'message_sent')!;
      expect(t.contract.checkWebhook({ ...sent, data: { ...sent.data, surprise: 1 } })[0]).toMatch(
        /webhook message_sent: the body does not match/,
      );
      await alice.del(`/api/instances/${id}`).expect(200);
    });
  });
});
