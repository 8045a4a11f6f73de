import { eventMessage, inboundMessages, streamSubjects, subjectToken } from './subjects';
import { slugFromName } from './slug';
import { parseSeedAccounts } from './seed-accounts';
import { parseCommand } from './nats-requests';

describe('NATS subjects', () => {
  it('names whatsapp-official "whatsapp" (the seed) and facebook-messenger "messenger"', () => {
    expect(subjectToken('whatsapp-official')).toBe('whatsapp');
    expect(subjectToken('facebook-messenger')).toBe('messenger');
    expect(subjectToken('telegram')).toBe('telegram');
  });

  it('streams in/error/switchboard subjects of every provider and never out', () => {
    const subjects = streamSubjects(['telegram', 'whatsapp-official']);
    expect(subjects).toEqual([
      'telegram.*.in.>',
      'telegram.*.error',
      'whatsapp.*.in.>',
      'whatsapp.*.error',
      'switchboard.>',
    ]);
    expect(subjects.some((s) => s.includes('out'))).toBe(false);
  });

  const msg = {
    from: '79001234567',
    id: 'wamid.1',
    timestamp: '1708300000',
    type: 'text',
    text: { body: 'hi' },
  };
  const metadata = { display_phone_number: '15550783881', phone_number_id: '106540352242922' };

  it('a WhatsApp message item → in.webhook, in.message and in.message.<type>, one Nats-Msg-Id each', () => {
    const out = inboundMessages({
      id: '42',
      provider: 'whatsapp-official',
      slug: 'my_account',
      payload: { field: 'messages', metadata, contacts: [{ wa_id: '79001234567' }], messages: [msg] },
      outcome: 'stored',
      skipReason: null,
      wabaId: '555',
    });
    expect(out).toEqual([
      {
        subject: 'whatsapp.my_account.in.webhook',
        msgId: 'in:42:webhook',
        data: {
          object: 'whatsapp_business_account',
          entry: [
            {
              id: '555',
              changes: [
                {
                  value: {
                    messaging_product: 'whatsapp',
                    metadata,
                    contacts: [{ wa_id: '79001234567' }],
                    messages: [msg],
                  },
                  field: 'messages',
                },
              ],
            },
          ],
        },
      },
      { subject: 'whatsapp.my_account.in.message', msgId: 'in:42:message', data: msg },
      { subject: 'whatsapp.my_account.in.message.text', msgId: 'in:42:message.text', data: msg },
    ]);
  });

  it('statuses → in.status, value.errors → in.error; a type that is no subject token gets no typed subject', () => {
    const st = { id: 'wamid.1', status: 'read', timestamp: '1', recipient_id: '7' };
    const status = inboundMessages({
      id: '7',
      provider: 'whatsapp-official',
      slug: 'a',
      payload: { field: 'messages', metadata, statuses: [st] },
      outcome: 'stored',
      skipReason: null,
    });
    expect(status.map((m) => [m.subject, m.data])).toEqual([
      ['whatsapp.a.in.webhook', expect.anything()],
      ['whatsapp.a.in.status', st],
    ]);
    const err = { code: 131051, title: 'Message type unknown' };
    const errors = inboundMessages({
      id: '8',
      provider: 'whatsapp-official',
      slug: 'a',
      payload: { field: 'messages', value: { metadata, errors: [err] } },
      outcome: 'skipped',
      skipReason: 'webhook_errors:131051',
    });
    expect(errors.map((m) => m.subject)).toEqual(['whatsapp.a.in.webhook', 'whatsapp.a.in.error']);
    const odd = inboundMessages({
      id: '9',
      provider: 'whatsapp-official',
      slug: 'a',
      payload: { field: 'messages', messages: [{ ...msg, type: 'a.b>' }] },
      outcome: 'stored',
      skipReason: null,
    });
    expect(odd.map((m) => m.subject)).toEqual(['whatsapp.a.in.webhook', 'whatsapp.a.in.message']);
  });

  it('publishes nothing for a malformed payload', () => {
    expect(
      inboundMessages({
        id: '1',
        provider: 'whatsapp-official',
        slug: 'a',
        payload: { field: 'x' },
        outcome: 'skipped',
        skipReason: 'malformed_payload: bad',
      }),
    ).toEqual([]);
  });

  it('a Telegram update → in.webhook (the update), in.message and in.message.<kind> (the message)', () => {
    const message = {
      message_id: 1,
      chat: { id: 5, type: 'private' },
      date: 1,
      photo: [{ file_id: 'x' }],
      caption: 'c',
    };
    const out = inboundMessages({
      id: '3',
      provider: 'telegram',
      slug: 'bot',
      payload: { update_id: 9, message },
      outcome: 'stored',
      skipReason: null,
    });
    expect(out.map((m) => [m.subject, m.msgId])).toEqual([
      ['telegram.bot.in.webhook', 'in:3:webhook'],
      ['telegram.bot.in.message', 'in:3:message'],
      ['telegram.bot.in.message.photo', 'in:3:message.photo'],
    ]);
    expect(out[1].data).toBe(message);
  });

  it('a Messenger messaging event → in.message[.text|.<attachment type>]; delivery/read → in.status', () => {
    const text = {
      sender: { id: '1' },
      recipient: { id: '2' },
      timestamp: 1,
      message: { mid: 'm.1', text: 'hi' },
    };
    expect(
      inboundMessages({
        id: '5',
        provider: 'facebook-messenger',
        slug: 'page',
        payload: text,
        outcome: 'stored',
        skipReason: null,
      }).map((m) => [m.subject, m.data]),
    ).toEqual([
      ['messenger.page.in.webhook', text],
      ['messenger.page.in.message', text],
      ['messenger.page.in.message.text', text],
    ]);
    const image = {
      sender: { id: '1' },
      message: { mid: 'm.2', attachments: [{ type: 'image', payload: { url: 'u' } }] },
    };
    expect(
      inboundMessages({
        id: '6',
        provider: 'instagram',
        slug: 'ig',
        payload: image,
        outcome: 'stored',
        skipReason: null,
      }).map((m) => m.subject),
    ).toEqual(['instagram.ig.in.webhook', 'instagram.ig.in.message', 'instagram.ig.in.message.image']);
    const read = { sender: { id: '1' }, read: { watermark: 1 } };
    expect(
      inboundMessages({
        id: '7',
        provider: 'facebook-messenger',
        slug: 'page',
        payload: read,
        outcome: 'stored',
        skipReason: null,
      }).map((m) => m.subject),
    ).toEqual(['messenger.page.in.webhook', 'messenger.page.in.status']);
  });

  it('an event → switchboard.<p>.<slug>.<event> with the envelope, Nats-Msg-Id ev:<id>', () => {
    const envelope = {
      id: 'e1',
      event: 'message_sent',
      instanceId: 'i',
      provider: 'whatsapp-official',
      sequence: 3,
      data: {},
      timestamp: 't',
    };
    expect(eventMessage('whatsapp-official', 'my_account', envelope)).toEqual({
      subject: 'switchboard.whatsapp.my_account.message_sent',
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
