import { inboundMessages, subjectToken } from '../../nats/subjects';
import { TELEGRAM } from './telegram.client';
import { TELEGRAM_NATS } from './telegram.nats';

describe('Telegram NATS subjects', () => {
  it('names telegram "telegram", with normalized request bodies', () => {
    expect(subjectToken(TELEGRAM, { nats: TELEGRAM_NATS })).toBe('telegram');
    expect(TELEGRAM_NATS.seedRequests).toBeUndefined();
  });

  it('a Telegram update → in.webhook (the update), in.message and in.message.<kind> (the message)', () => {
    const message = {
      message_id: 1,
      chat: { id: 5, type: 'private' },
      date: 1,
      photo: [{ file_id: 'x' }],
      caption: 'c',
    };
    const out = inboundMessages(
      {
        id: '3',
        token: TELEGRAM_NATS.subjectToken,
        slug: 'bot',
        payload: { update_id: 9, message },
        outcome: 'stored',
        skipReason: null,
      },
      TELEGRAM_NATS,
    );
    expect(out.map((m) => [m.subject, m.msgId])).toEqual([
      ['telegram.bot.in.webhook', 'in:3:webhook'],
      ['telegram.bot.in.message', 'in:3:message'],
      ['telegram.bot.in.message.photo', 'in:3:message.photo'],
    ]);
    expect(out[1].data).toBe(message);
  });
});
