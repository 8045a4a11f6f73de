import type { NatsMapping } from '../providers/nats-mapping';
import { eventMessage, inboundMessages, requestMessage, streamSubjects, subjectToken } from './subjects';
import { slugFromName } from './slug';
import { parseSeedAccounts } from './seed-accounts';
import { parseCommand } from './nats-requests';

/*
 * Provider-free: the subject scheme with made-up providers. Each provider's own subjects are
 * tested next to its mapping (src/modules/providers/<provider>/*.nats.spec.ts, graph/meta-nats.spec.ts).
 */
describe('NATS subjects', () => {
  /** A made-up provider's mapping: one `.in.message` per `items[]` element, typed by `kind`. */
  const mapping: NatsMapping = {
    subjectToken: 'acme',
    inboundMessages({ payload }, add) {
      add('webhook', payload);
      (payload.items as { kind: string }[]).forEach((it, i) => {
        add('message', it, i || undefined);
        add(`message.${it.kind}`, it, i || undefined);
      });
    },
  };

  it("a provider's token is its adapter's nats.subjectToken, else its key", () => {
    expect(subjectToken('acme-cloud', { nats: mapping })).toBe('acme');
    expect(subjectToken('plain', {})).toBe('plain');
    expect(subjectToken('gone', undefined)).toBe('gone');
  });

  it('streams in/error/switchboard subjects of every provider and never out', () => {
    const subjects = streamSubjects(['zeta', 'alpha', 'zeta']);
    expect(subjects).toEqual([
      'alpha.*.in.>',
      'alpha.*.error',
      'zeta.*.in.>',
      'zeta.*.error',
      'switchboard.>',
    ]);
    expect(subjects.some((s) => s.includes('out'))).toBe(false);
  });

  it("an archived item → the mapping's subjects under <p>.<slug>.in, Nats-Msg-Id in:<id>:<suffix>[:<n>]", () => {
    const items = [{ kind: 'text' }, { kind: 'image' }];
    const out = inboundMessages(
      {
        id: '42',
        token: 'acme',
        slug: 'my_account',
        payload: { items },
        outcome: 'stored',
        skipReason: null,
      },
      mapping,
    );
    expect(out).toEqual([
      { subject: 'acme.my_account.in.webhook', msgId: 'in:42:webhook', data: { items } },
      { subject: 'acme.my_account.in.message', msgId: 'in:42:message', data: items[0] },
      { subject: 'acme.my_account.in.message.text', msgId: 'in:42:message.text', data: items[0] },
      { subject: 'acme.my_account.in.message', msgId: 'in:42:message:1', data: items[1] },
      { subject: 'acme.my_account.in.message.image', msgId: 'in:42:message.image:1', data: items[1] },
    ]);
  });

  it('a provider without a mapping publishes its payload on .in.webhook only', () => {
    const payload = { any: 'thing' };
    expect(
      inboundMessages(
        { id: '2', token: 'plain', slug: 's', payload, outcome: 'stored', skipReason: null },
        undefined,
      ),
    ).toEqual([{ subject: 'plain.s.in.webhook', msgId: 'in:2:webhook', data: payload }]);
  });

  it('an item that came with a webhook request drops its own .in.webhook (the request carries it)', () => {
    const items = [{ kind: 'text' }];
    const base = { token: 'acme', slug: 'a', payload: { items }, outcome: 'stored', skipReason: null };
    expect(inboundMessages({ ...base, id: '7', requestId: '3' }, mapping).map((m) => m.subject)).toEqual([
      'acme.a.in.message',
      'acme.a.in.message.text',
    ]);
    expect(inboundMessages({ ...base, id: '8', requestId: '3' }, undefined).map((m) => m.subject)).toEqual(
      [],
    );
    expect(inboundMessages({ ...base, id: '9', requestId: null }, mapping)[0]).toMatchObject({
      subject: 'acme.a.in.webhook',
      msgId: 'in:9:webhook',
    });
  });

  it('an archived request → <p>.<slug>.in.webhook with its bytes as received, Nats-Msg-Id req:<provider>:<instance>:<sha256>', () => {
    const body = '{"object":"x",  "entry":[{"b":1,"a":2}],"object":"y","t":"\\u00e9"}';
    const m = requestMessage({
      provider: 'acme-cloud',
      instanceId: 'a1b2',
      token: 'acme',
      slug: 'my_account',
      body,
      bodySha256: 'f00d',
    });
    expect(m).toEqual({
      subject: 'acme.my_account.in.webhook',
      msgId: 'req:acme-cloud:a1b2:f00d',
      data: JSON.parse(body),
      raw: body,
    });
    // not JSON: still published as received
    expect(
      requestMessage({ provider: 'p', instanceId: 'i', token: 'p', slug: 's', body: 'a=1', bodySha256: 'h' }),
    ).toMatchObject({ raw: 'a=1', data: null });
  });

  it('publishes nothing for a malformed payload', () => {
    expect(
      inboundMessages(
        {
          id: '1',
          token: 'acme',
          slug: 'a',
          payload: { items: [{ kind: 'text' }] },
          outcome: 'skipped',
          skipReason: 'malformed_payload: bad',
        },
        mapping,
      ),
    ).toEqual([]);
  });

  it('an event → switchboard.<p>.<slug>.<event> with the envelope, Nats-Msg-Id ev:<id>', () => {
    const envelope = {
      id: 'e1',
      event: 'message_sent',
      instanceId: 'i',
      provider: 'acme-cloud',
      sequence: 3,
      data: {},
      timestamp: 't',
    };
    expect(eventMessage('acme', 'my_account', envelope)).toEqual({
      subject: 'switchboard.acme.my_account.message_sent',
      msgId: 'ev:e1',
      data: envelope,
    });
  });
});

describe('slugFromName', () => {
  it.each([
    ['Support Bot #2', 'support_bot_2'],
    ['my_account', 'my_account'],
    ['  --Sales--  ', 'sales'],
    ['Поддержка', 'instance'],
    ['x'.repeat(100), 'x'.repeat(55)],
  ])('%j → %j', (name, slug) => expect(slugFromName(name)).toBe(slug));
});

describe('parseSeedAccounts (the seed .env)', () => {
  it('reads WA_<NAME>=<phone_number_id>:<token>, slug lower-cased, and names bad variables without their values', () => {
    const { accounts, problems } = parseSeedAccounts({
      WA_MY_ACCOUNT: '123456789:EAABx:with:colons',
      WA_SUPPORT: '987654321:EAABy',
      WA_BAD: 'not-a-pair-secret',
      OTHER: 'x',
    });
    expect(accounts).toEqual([
      {
        slug: 'my_account',
        variable: 'WA_MY_ACCOUNT',
        phoneNumberId: '123456789',
        accessToken: 'EAABx:with:colons',
      },
      { slug: 'support', variable: 'WA_SUPPORT', phoneNumberId: '987654321', accessToken: 'EAABy' },
    ]);
    expect(problems).toEqual([expect.stringMatching(/^WA_BAD: must be <phone_number_id>:<access_token>/)]);
    expect(problems.join()).not.toContain('not-a-pair-secret');
  });
});

describe('parseCommand (out.* bodies)', () => {
  it('maps the seed bodies to the normalized message', async () => {
    await expect(
      parseCommand(
        'sendMessage',
        { to: '79001234567', text: 'hi', preview_url: true, reply_to: 'wamid.1' },
        true,
      ),
    ).resolves.toEqual({
      kind: 'send',
      message: expect.objectContaining({
        to: '79001234567',
        type: 'text',
        text: 'hi',
        previewUrl: true,
        replyTo: 'wamid.1',
      }),
    });
    const image = await parseCommand('sendImage', { to: '7', media_id: '123', caption: 'c' }, true);
    expect(image).toMatchObject({
      kind: 'send',
      message: { type: 'image', media: { providerMediaId: '123' }, caption: 'c' },
    });
    const template = await parseCommand(
      'sendTemplate',
      { to: '7', template: { name: 'hello_world', language: { code: 'ru' } } },
      true,
    );
    expect(template).toMatchObject({
      message: { type: 'template', template: { name: 'hello_world', language: 'ru' } },
    });
    await expect(parseCommand('markRead', { message_id: 'wamid.1' }, true)).resolves.toEqual({
      kind: 'markRead',
      messageId: 'wamid.1',
    });
    await expect(parseCommand('raw', { path: '123', body: {} }, true)).resolves.toMatchObject({
      kind: 'raw',
      request: { path: '/123', method: 'GET' },
    });
  });

  it('names the bad field under the seed name', async () => {
    await expect(
      parseCommand('sendMessage', { to: '7', text: 'x', preview_url: 'yes' }, true),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      extra: { errors: [expect.objectContaining({ field: 'preview_url' })] },
    });
    await expect(parseCommand('sendVideo', { to: '7' }, true)).rejects.toMatchObject({
      extra: { errors: [expect.objectContaining({ field: 'link' })] },
    });
    await expect(parseCommand('sendMessage', [], true)).rejects.toMatchObject({
      extra: { errors: [{ field: 'body', message: 'expected a JSON object' }] },
    });
  });
});
