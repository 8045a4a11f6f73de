import { eventMessage, inboundMessages, subjectToken } from '../../nats/subjects';
import { WhatsappOfficialAdapter } from './whatsapp-official.adapter';
import { WHATSAPP_NATS } from './whatsapp-official.nats';
import { WHATSAPP_OFFICIAL } from './whatsapp-official.normalizer';

/** The mapping through the NATS module's subject builder: the subjects and ids it publishes. */
const archived = (item: {
  id: string;
  slug: string;
  payload: Record<string, unknown>;
  outcome: string;
  skipReason: string | null;
}) => inboundMessages({ ...item, token: WHATSAPP_NATS.subjectToken }, WHATSAPP_NATS);

describe('WhatsApp Cloud NATS subjects (the connector seed)', () => {
  it('names whatsapp-official "whatsapp" (the seed), with the seed bodies and Graph replies', () => {
    expect(WhatsappOfficialAdapter.platform.nats).toBe(WHATSAPP_NATS);
    expect(subjectToken(WHATSAPP_OFFICIAL, { nats: WHATSAPP_NATS })).toBe('whatsapp');
    expect(WHATSAPP_NATS.seedRequests).toEqual({ markReadReply: { success: true } });
  });

  const msg = {
    from: '79001234567',
    id: 'wamid.1',
    timestamp: '1708300000',
    type: 'text',
    text: { body: 'hi' },
  };
  const metadata = { display_phone_number: '15550783881', phone_number_id: '106540352242922' };

  it('a WhatsApp message item → in.message and in.message.<type>, one Nats-Msg-Id each; no per-item in.webhook (the request body goes there)', () => {
    const out = archived({
      id: '42',
      slug: 'my_account',
      payload: { field: 'messages', metadata, contacts: [{ wa_id: '79001234567' }], messages: [msg] },
      outcome: 'stored',
      skipReason: null,
    });
    expect(out).toEqual([
      { subject: 'whatsapp.my_account.in.message', msgId: 'in:42:message', data: msg },
      { subject: 'whatsapp.my_account.in.message.text', msgId: 'in:42:message.text', data: msg },
    ]);
  });

  it('statuses → in.status, value.errors → in.error; a type that is no subject token gets no typed subject', () => {
    const st = { id: 'wamid.1', status: 'read', timestamp: '1', recipient_id: '7' };
    const status = archived({
      id: '7',
      slug: 'a',
      payload: { field: 'messages', metadata, statuses: [st] },
      outcome: 'stored',
      skipReason: null,
    });
    expect(status.map((m) => [m.subject, m.data])).toEqual([['whatsapp.a.in.status', st]]);
    const err = { code: 131051, title: 'Message type unknown' };
    const errors = archived({
      id: '8',
      slug: 'a',
      payload: { field: 'messages', value: { metadata, errors: [err] } },
      outcome: 'skipped',
      skipReason: 'webhook_errors:131051',
    });
    expect(errors.map((m) => [m.subject, m.data])).toEqual([['whatsapp.a.in.error', err]]);
    const odd = archived({
      id: '9',
      slug: 'a',
      payload: { field: 'messages', messages: [{ ...msg, type: 'a.b>' }] },
      outcome: 'stored',
      skipReason: null,
    });
    expect(odd.map((m) => m.subject)).toEqual(['whatsapp.a.in.message']);
  });

  it('publishes nothing for a malformed payload', () => {
    expect(
      archived({
        id: '1',
        slug: 'a',
        payload: { field: 'x' },
        outcome: 'skipped',
        skipReason: 'malformed_payload: bad',
      }),
    ).toEqual([]);
  });

  it('an event → switchboard.whatsapp.<slug>.<event> with the envelope, Nats-Msg-Id ev:<id>', () => {
    const envelope = {
      id: 'e1',
      event: 'message_sent',
      instanceId: 'i',
      provider: WHATSAPP_OFFICIAL,
      sequence: 3,
      data: {},
      timestamp: 't',
    };
    expect(eventMessage(WHATSAPP_NATS.subjectToken, 'my_account', envelope)).toEqual({
      subject: 'switchboard.whatsapp.my_account.message_sent',
      msgId: 'ev:e1',
      data: envelope,
    });
  });
});
